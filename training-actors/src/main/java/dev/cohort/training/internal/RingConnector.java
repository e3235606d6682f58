package dev.cohort.training.internal;

import dev.cohort.persistence.ErrorKind;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.collective.CollectiveException;
import dev.cohort.training.collective.Communicator;
import dev.cohort.training.collective.RingRendezvous;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * Forms a ring from a bound listener and a {@link RingRendezvous}: connects to the next rank, then
 * accepts the previous rank's connection.
 *
 * <p>Why this order cannot deadlock: every listener is bound before its address reaches the
 * coordinator, so a connect completes in the kernel's accept queue without the peer calling accept.
 *
 * <p>Handshake (20 bytes, big-endian, sent by the connecting side): magic {@code 0x434F4852}
 * ("COHR"), protocol version 1, the ring token (long), the sender's rank. The accepting side drops
 * connections with another magic, version, token or rank, so that a stray worker of an older
 * generation cannot join.
 */
public final class RingConnector {
  private static final int MAGIC = 0x434F4852;
  private static final int VERSION = 1;
  private static final long RETRY_MILLIS = 20;

  private RingConnector() {}

  /** Binds a listener on {@code host}, port chosen by the OS. */
  public static ServerSocketChannel bind(String host) throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(host, 0), 16);
    return server;
  }

  /** Blocks until the ring is formed or the connect timeout passes. Closes the listener. */
  public static Communicator join(
      ServerSocketChannel listener, RingRendezvous rendezvous, TrainingSettings settings) {
    int n = rendezvous.size();
    int rank = rendezvous.rank();
    try (listener) {
      if (n == 1) {
        return new RingCommunicator(0, 1, null, null, settings);
      }
      long deadline = System.nanoTime() + settings.connectTimeout().toNanos();
      SocketChannel next = connect(rendezvous.peers().get((rank + 1) % n), deadline, settings);
      SocketChannel prev = null;
      try {
        ByteBuffer hello = ByteBuffer.allocate(20);
        hello.putInt(MAGIC).putInt(VERSION).putLong(rendezvous.token()).putInt(rank).flip();
        while (hello.hasRemaining()) {
          next.write(hello);
        }
        prev = accept(listener, rendezvous, deadline, settings);
        return new RingCommunicator(rank, n, next, prev, settings);
      } catch (IOException | RuntimeException e) {
        next.close();
        if (prev != null) {
          prev.close();
        }
        throw e;
      }
    } catch (IOException e) {
      throw new CollectiveException(
          ErrorKind.UNAVAILABLE,
          "rendezvous_failed",
          "rank " + rank + " of " + n + " could not form the ring " + rendezvous.peers() + ": " + e,
          e);
    }
  }

  private static SocketChannel connect(String hostPort, long deadline, TrainingSettings settings)
      throws IOException {
    InetSocketAddress address = parse(hostPort);
    while (true) {
      SocketChannel channel = SocketChannel.open();
      try {
        configure(channel, settings);
        channel.connect(address);
        return channel;
      } catch (IOException e) {
        channel.close();
        if (System.nanoTime() > deadline) {
          throw new IOException("could not connect to " + hostPort + " before the deadline", e);
        }
        try {
          Thread.sleep(RETRY_MILLIS); // back off between connect attempts, not a condition wait
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while connecting to " + hostPort, ie);
        }
      }
    }
  }

  private static SocketChannel accept(
      ServerSocketChannel listener,
      RingRendezvous rendezvous,
      long deadline,
      TrainingSettings settings)
      throws IOException {
    int expected = Math.floorMod(rendezvous.rank() - 1, rendezvous.size());
    while (true) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        throw new SocketTimeoutException(
            "rank " + expected + " did not connect within the connect timeout");
      }
      // The adaptor's accept and stream reads honour SO_TIMEOUT; the channel's own calls do not.
      listener.socket().setSoTimeout((int) Math.max(1, left));
      Socket socket = listener.socket().accept();
      SocketChannel channel = socket.getChannel();
      try {
        socket.setSoTimeout((int) Math.max(1, left));
        DataInputStream in = new DataInputStream(socket.getInputStream());
        int magic = in.readInt();
        int version = in.readInt();
        long token = in.readLong();
        int from = in.readInt();
        if (magic == MAGIC
            && version == VERSION
            && token == rendezvous.token()
            && from == expected) {
          socket.setSoTimeout(0);
          configure(channel, settings);
          return channel;
        }
      } catch (IOException stray) {
        // a client that does not speak the handshake: drop it and keep waiting for the real one
      }
      channel.close();
    }
  }

  private static void configure(SocketChannel channel, TrainingSettings settings)
      throws IOException {
    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
    if (settings.socketBufferBytes() > 0) {
      channel.setOption(StandardSocketOptions.SO_SNDBUF, settings.socketBufferBytes());
      channel.setOption(StandardSocketOptions.SO_RCVBUF, settings.socketBufferBytes());
    }
  }

  static InetSocketAddress parse(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("expected host:port, got '" + hostPort + "'");
    }
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return new InetSocketAddress(host, Integer.parseInt(hostPort.substring(colon + 1)));
  }

  /** {@code host:port} of a bound listener, as other ranks should dial it. */
  public static String address(ServerSocketChannel listener, String host) throws IOException {
    InetSocketAddress local = (InetSocketAddress) listener.getLocalAddress();
    String h = host.contains(":") ? "[" + host + "]" : host;
    return h + ":" + local.getPort();
  }
}
