package dev.cohort.training.collective;

import dev.cohort.persistence.ErrorKind;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.internal.RingConnector;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;

/**
 * A worker's side of forming a ring: bind a listener first, report {@link #address()} to the
 * coordinator (in an actor message), then {@link #join} with the {@link RingRendezvous} the
 * coordinator answers. An endpoint is used for one ring; joining closes its listener.
 *
 * <pre>{@code
 * RingEndpoint endpoint = RingEndpoint.bind(settings);
 * coordinator.tell(new Register(workerId, endpoint.address(), replyTo));
 * // ... on receiving rendezvous:
 * Communicator comm = endpoint.join(rendezvous);   // blocks up to connect-timeout
 * }</pre>
 */
public final class RingEndpoint implements AutoCloseable {
  private final ServerSocketChannel listener;
  private final String address;
  private final TrainingSettings settings;

  private RingEndpoint(ServerSocketChannel listener, String address, TrainingSettings settings) {
    this.listener = listener;
    this.address = address;
    this.settings = settings;
  }

  /** Binds a listener on {@code cohort.training.collective.host}, on a port the OS picks. */
  public static RingEndpoint bind(TrainingSettings settings) {
    try {
      ServerSocketChannel listener = RingConnector.bind(settings.host());
      return new RingEndpoint(listener, RingConnector.address(listener, settings.host()), settings);
    } catch (IOException e) {
      throw new CollectiveException(
          ErrorKind.UNAVAILABLE,
          "rendezvous_failed",
          "cannot bind a ring listener on " + settings.host() + ": " + e,
          e);
    }
  }

  /** {@code host:port} the other ranks connect to. */
  public String address() {
    return address;
  }

  /**
   * Connects to the ring described by {@code rendezvous}; blocks until the neighbours are connected
   * or {@code collective.connect-timeout} passes ({@link CollectiveException} with code {@code
   * rendezvous_failed}). Run it off actor threads.
   */
  public Communicator join(RingRendezvous rendezvous) {
    if (!rendezvous.peers().get(rendezvous.rank()).equals(address)) {
      throw new CollectiveException(
          ErrorKind.INVALID,
          "rendezvous_failed",
          "rendezvous gives rank "
              + rendezvous.rank()
              + " the address "
              + rendezvous.peers().get(rendezvous.rank())
              + ", but this endpoint is "
              + address);
    }
    return RingConnector.join(listener, rendezvous, settings);
  }

  @Override
  public void close() {
    try {
      listener.close();
    } catch (IOException ignored) {
      // nothing was connected through it
    }
  }
}
