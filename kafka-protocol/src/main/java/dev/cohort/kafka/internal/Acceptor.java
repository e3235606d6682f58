package dev.cohort.kafka.internal;

import dev.cohort.kafka.KafkaSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the listening socket and the set of open connections: one virtual thread accepts, and each
 * accepted connection runs on its own virtual thread ({@link Connection}). After {@link #close()}
 * no connection is accepted and every open one is closed.
 */
public final class Acceptor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Acceptor.class);

  private final ServerSocketChannel server;
  private final KafkaSettings settings;
  private final KafkaApis apis;
  private final Set<Connection> open = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicLong ids = new AtomicLong();
  private final InetSocketAddress address;

  private Acceptor(ServerSocketChannel server, KafkaSettings settings, KafkaApis apis)
      throws IOException {
    this.server = server;
    this.settings = settings;
    this.apis = apis;
    this.address = (InetSocketAddress) server.getLocalAddress();
  }

  public static Acceptor bind(KafkaSettings settings, KafkaApis apis) throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open();
    try {
      server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      server.bind(new InetSocketAddress(settings.host(), settings.port()), 1024);
    } catch (IOException e) {
      server.close();
      throw e;
    }
    Acceptor acceptor = new Acceptor(server, settings, apis);
    Thread.ofVirtual().name("kafka-acceptor-" + acceptor.address.getPort()).start(acceptor::run);
    log.info("Kafka listener bound to {}", acceptor.address);
    return acceptor;
  }

  /** The cluster role that carries a node's Kafka endpoint (see {@code ClusterBrokers}). */
  public static String endpointRole(KafkaSettings settings) {
    return ClusterBrokers.ROLE_PREFIX + settings.advertisedHost() + ":" + settings.port();
  }

  public InetSocketAddress address() {
    return address;
  }

  private void run() {
    while (!closed.get()) {
      SocketChannel channel;
      try {
        channel = server.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        log.warn("Kafka listener: accept failed: {}", e.toString());
        continue;
      }
      Connection connection =
          new Connection(channel, "kafka-" + ids.incrementAndGet(), settings, apis, open::remove);
      open.add(connection);
      if (closed.get()) {
        connection.close();
      }
      Thread.ofVirtual().name(connection.name()).start(connection::run);
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      server.close();
    } catch (IOException e) {
      log.debug("closing the Kafka listener: {}", e.toString());
    }
    open.forEach(Connection::close);
    log.info("Kafka listener on {} closed", address);
  }
}
