package dev.cohort.training.collective;

import dev.cohort.persistence.ErrorKind;
import dev.cohort.training.TrainingSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

/** Factories for communicators that do not need a coordinator (tests, benchmarks, one JVM). */
public final class Communicators {
  private Communicators() {}

  /**
   * Forms a ring of {@code size} ranks inside this JVM over loopback TCP, the same data path as
   * between machines. Index {@code i} of the result is rank {@code i}.
   */
  public static List<Communicator> localRing(int size, TrainingSettings settings) {
    List<RingEndpoint> endpoints = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      endpoints.add(RingEndpoint.bind(settings));
    }
    List<String> peers = endpoints.stream().map(RingEndpoint::address).toList();
    long token = ThreadLocalRandom.current().nextLong();
    List<CompletableFuture<Communicator>> joins = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      RingEndpoint endpoint = endpoints.get(i);
      RingRendezvous rendezvous = new RingRendezvous(token, i, peers);
      // Each rank joins on its own thread: joining blocks until the previous rank connects.
      joins.add(CompletableFuture.supplyAsync(() -> endpoint.join(rendezvous), Thread::startVirtualThread));
    }
    List<Communicator> result = new ArrayList<>();
    CollectiveException failure = null;
    for (CompletableFuture<Communicator> join : joins) {
      try {
        result.add(join.join());
      } catch (RuntimeException e) {
        failure =
            new CollectiveException(
                ErrorKind.UNAVAILABLE, "rendezvous_failed", "local ring failed to form: " + e, e);
      }
    }
    if (failure != null) {
      result.forEach(Communicator::close);
      throw failure;
    }
    return result;
  }
}
