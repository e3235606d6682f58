package dev.cohort.kafka.internal;

import dev.cohort.kafka.KafkaSettings;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, on two virtual threads with blocking channel I/O: the reader decodes
 * size-prefixed request frames and starts them in arrival order (so a producer's batches reach
 * their partition in order), the writer sends the answers in the same order as they complete. At
 * most {@link #MAX_IN_FLIGHT} requests of a connection are in progress (Kafka clients pipeline up
 * to five by default): a pipelining producer's next batch is decoded and on its way while the
 * previous one is being written to the journal. A frame larger than {@code
 * socket.request.max.bytes}, a negative size, or a request header that cannot be parsed closes this
 * connection only.
 */
final class Connection {
  private static final Logger log = LoggerFactory.getLogger(Connection.class);

  private final SocketChannel channel;
  private final String name;
  private final KafkaSettings settings;
  private final KafkaApis apis;

  /** Requests of one connection in progress at once; a full queue stops reading. */
  static final int MAX_IN_FLIGHT = 5;

  private static final CompletableFuture<KafkaApis.Outcome> END =
      CompletableFuture.completedFuture(new KafkaApis.Outcome.None());

  private final Consumer<Connection> onClosed;
  private final BlockingQueue<CompletableFuture<KafkaApis.Outcome>> inFlight =
      new ArrayBlockingQueue<>(MAX_IN_FLIGHT);
  private volatile boolean closed;
  private volatile String peer = "?";

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
    Thread.ofVirtual().name(name + "-writer").start(this::writeAnswers);
    try {
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      peer = String.valueOf(channel.getRemoteAddress());
      serve();
    } catch (EOFException e) {
      log.debug("{} ({}): client closed the connection", name, peer);
    } catch (IOException e) {
      ioFailed(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      enqueue(END);
    }
  }

  private void serve() throws IOException, InterruptedException {
    ByteBuffer sizeBuffer = ByteBuffer.allocate(4);
    InetSocketAddress remote = (InetSocketAddress) channel.getRemoteAddress();
    KafkaSession session = new KafkaSession(remote.getAddress().getHostAddress());
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
            name,
            peer,
            size,
            settings.maxRequestBytes());
        return;
      }
      ByteBuffer frame = ByteBuffer.allocate(size);
      readFully(frame, false);
      frame.flip();
      CompletableFuture<KafkaApis.Outcome> reply = apis.handle(frame, remote, session);
      enqueue(reply);
      if (reply.isDone() && reply.join() instanceof KafkaApis.Outcome.Close) {
        return;
      }
    }
  }

  /** Waits for room among the requests in flight, unless the connection closed meanwhile. */
  private void enqueue(CompletableFuture<KafkaApis.Outcome> reply) {
    try {
      while (!inFlight.offer(reply, 100, TimeUnit.MILLISECONDS)) {
        if (closed) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The writer: answers in request order until the reader ends or an answer closes. */
  private void writeAnswers() {
    try {
      while (true) {
        CompletableFuture<KafkaApis.Outcome> next = inFlight.take();
        if (next == END) {
          return;
        }
        switch (next.join()) {
          case KafkaApis.Outcome.Send send -> write(send.bytes());
          case KafkaApis.Outcome.None none -> {}
          case KafkaApis.Outcome.Close close -> {
            log.warn("{} ({}): {}; closing the connection", name, peer, close.reason());
            return;
          }
        }
      }
    } catch (IOException e) {
      ioFailed(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      close();
      inFlight.clear();
    }
  }

  /** A read or write failed: worth a debug line unless the connection was being closed. */
  private void ioFailed(IOException e) {
    if (!closed) {
      log.debug("{} ({}): {}", name, peer, e.toString());
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
