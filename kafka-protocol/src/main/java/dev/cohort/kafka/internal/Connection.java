package dev.cohort.kafka.internal;

import dev.cohort.kafka.KafkaSettings;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, run on its own virtual thread with blocking channel I/O. It reads
 * size-prefixed request frames and answers them one at a time, in order, as a Kafka broker does
 * (Kafka mutes a connection while a request is in flight): a client that pipelines requests finds
 * them queued in the socket. A frame larger than {@code socket.request.max.bytes}, a negative size,
 * or a request header that cannot be parsed closes this connection only.
 */
final class Connection {
  private static final Logger log = LoggerFactory.getLogger(Connection.class);

  private final SocketChannel channel;
  private final String name;
  private final KafkaSettings settings;
  private final KafkaApis apis;
  private final Consumer<Connection> onClosed;
  private volatile boolean closed;

  Connection(
      SocketChannel channel,
      String name,
      KafkaSettings settings,
      KafkaApis apis,
      Consumer<Connection> onClosed) {
    this.channel = channel;
    this.name = name;
    this.settings = settings;
    this.apis = apis;
    this.onClosed = onClosed;
  }

  String name() {
    return name;
  }

  void run() {
    String peer = "?";
    try {
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      peer = String.valueOf(channel.getRemoteAddress());
      serve(peer);
    } catch (EOFException e) {
      log.debug("{} ({}): client closed the connection", name, peer);
    } catch (IOException e) {
      if (!closed) {
        log.debug("{} ({}): {}", name, peer, e.toString());
      }
    } finally {
      close();
    }
  }

  private void serve(String peer) throws IOException {
    ByteBuffer sizeBuffer = ByteBuffer.allocate(4);
    InetSocketAddress remote = (InetSocketAddress) channel.getRemoteAddress();
    while (!closed) {
      sizeBuffer.clear();
      if (!readFully(sizeBuffer, true)) {
        return;
      }
      int size = sizeBuffer.getInt(0);
      if (size < 0 || size > settings.maxRequestBytes()) {
        log.warn(
            "{} ({}): request of {} bytes is over socket.request.max.bytes ({}) or negative;"
                + " closing the connection",
            name, peer, size, settings.maxRequestBytes());
        return;
      }
      ByteBuffer frame = ByteBuffer.allocate(size);
      readFully(frame, false);
      frame.flip();
      KafkaApis.Reply reply = apis.handle(frame, remote);
      switch (reply) {
        case KafkaApis.Reply.Send send -> write(send.bytes());
        case KafkaApis.Reply.None none -> {}
        case KafkaApis.Reply.Close close -> {
          log.warn("{} ({}): {}; closing the connection", name, peer, close.reason());
          return;
        }
      }
    }
  }

  /** Fills {@code buffer}; false at a clean end of stream before the first byte if allowed. */
  private boolean readFully(ByteBuffer buffer, boolean endAllowed) throws IOException {
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer);
      if (n < 0) {
        if (endAllowed && buffer.position() == 0) {
          return false;
        }
        throw new EOFException("connection closed inside a frame");
      }
    }
    return true;
  }

  private void write(ByteBuffer body) throws IOException {
    ByteBuffer size = ByteBuffer.allocate(4).putInt(0, body.remaining());
    ByteBuffer[] buffers = {size, body};
    while (body.hasRemaining()) {
      channel.write(buffers);
    }
  }

  void close() {
    closed = true;
    try {
      channel.close();
    } catch (IOException e) {
      log.debug("{}: close: {}", name, e.toString());
    }
    onClosed.accept(this);
  }
}
