package dev.cohort.cluster.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Watches one peer process through an idle TCP connection to its remoting port, on a virtual
 * thread. The operating system closes the connection when the process ends, however it ends
 * (SIGKILL, a crash, an exit); the watch then connects again and reports the process gone when the
 * port refuses: nothing listens there any more. A connection closed for another reason (the peer
 * closed an idle connection) reconnects and goes on watching.
 *
 * <p>Invariants: the watch reports at most once; a refusal counts only after one connection to this
 * incarnation succeeded, so an address this node cannot reach at all (a wrong canonical port, a
 * firewall answering with resets) never reads as a dead process. A connect that times out or fails
 * otherwise decides nothing and is retried after {@code retryInterval}.
 */
final class ProcessWatch {
  private final InetSocketAddress target;
  private final Duration connectTimeout;
  private final Duration retryInterval;
  private final Runnable onGone;
  private volatile boolean closed;
  private volatile Socket current;
  private Thread thread;

  ProcessWatch(
      InetSocketAddress target, Duration connectTimeout, Duration retryInterval, Runnable onGone) {
    this.target = target;
    this.connectTimeout = connectTimeout;
    this.retryInterval = retryInterval;
    this.onGone = onGone;
  }

  void start(String name) {
    thread = Thread.ofVirtual().name(name).start(this::watch);
  }

  /** Stops watching and closes the connection; no report follows. */
  void close() {
    closed = true;
    closeQuietly(current);
    if (thread != null) {
      thread.interrupt();
    }
  }

  private void watch() {
    boolean connectedOnce = false;
    while (!closed) {
      Socket socket = new Socket();
      try {
        socket.connect(target, (int) connectTimeout.toMillis());
      } catch (ConnectException refused) {
        closeQuietly(socket);
        if (connectedOnce && !closed) {
          onGone.run();
          return;
        }
        pause(retryInterval);
        continue;
      } catch (IOException inconclusive) {
        closeQuietly(socket);
        pause(retryInterval);
        continue;
      }
      connectedOnce = true;
      current = socket;
      awaitClose(socket);
      closeQuietly(socket);
      // A peer that closes idle connections itself would otherwise be reconnected in a busy loop.
      pause(connectTimeout);
    }
  }

  /** Blocks until the peer closes the connection or it fails; the peer is not expected to write. */
  private void awaitClose(Socket socket) {
    byte[] discard = new byte[256];
    try (InputStream in = socket.getInputStream()) {
      while (!closed && in.read(discard) >= 0) {
        // Artery never writes to a connection that sent no header; anything read is ignored.
      }
    } catch (IOException closedOrReset) {
      // Either way the connection is over: the next connect decides what it meant.
    }
  }

  private void pause(Duration duration) {
    if (!closed) {
      LockSupport.parkNanos(duration.toNanos());
    }
  }

  private static void closeQuietly(Socket socket) {
    if (socket == null) {
      return;
    }
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing an already failed socket
    }
  }
}
