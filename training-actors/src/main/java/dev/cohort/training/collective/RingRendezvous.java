package dev.cohort.training.collective;

import dev.cohort.persistence.CohortSerializable;
import java.util.List;

/**
 * What a coordinator hands every rank of a ring: the ring's identity, the rank's position and the
 * listen address of every rank in rank order. Sent in an actor message, so it is plain data.
 *
 * @param token identifies one ring (a job and generation); a connection carrying another token is
 *     refused, so that a stale worker of an older generation cannot join a newer ring
 * @param rank the receiving rank
 * @param peers {@code host:port} of every rank's listener, index = rank
 */
public record RingRendezvous(long token, int rank, List<String> peers)
    implements CohortSerializable {

  public RingRendezvous {
    peers = List.copyOf(peers);
    if (peers.isEmpty()) {
      throw new IllegalArgumentException("a ring needs at least one rank");
    }
    if (rank < 0 || rank >= peers.size()) {
      throw new IllegalArgumentException("rank " + rank + " is outside [0, " + peers.size() + ")");
    }
  }

  public int size() {
    return peers.size();
  }
}
