package dev.cohort.training.collective;

import dev.cohort.persistence.ErrorKind;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.internal.NcclCommunicator;
import dev.cohort.training.internal.NcclProbe;
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
      joins.add(
          CompletableFuture.supplyAsync(
              () -> endpoint.join(rendezvous), Thread::startVirtualThread));
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

  /**
   * Resolves {@code requested} against this machine: {@code auto} picks nccl when libcudart and
   * libnccl load and a GPU is visible, otherwise ring; {@code nccl} fails with code {@code
   * backend_unavailable} (an invalid request, HTTP 400) when it cannot run, naming what is missing;
   * {@code ring} always works.
   */
  public static BackendChoice chooseBackend(Backend requested, TrainingSettings settings) {
    return switch (requested) {
      case RING -> new BackendChoice(Backend.RING, "ring requested");
      case NCCL -> {
        NcclProbe probe = NcclProbe.run(settings);
        if (!probe.usable()) {
          throw new CollectiveException(
              ErrorKind.INVALID, "backend_unavailable", "nccl requested but " + probe.reason());
        }
        yield new BackendChoice(Backend.NCCL, "nccl requested: " + probe.reason());
      }
      case AUTO -> {
        NcclProbe probe = NcclProbe.run(settings);
        yield probe.usable()
            ? new BackendChoice(Backend.NCCL, "auto: " + probe.reason() + "; using nccl")
            : new BackendChoice(Backend.RING, "auto: " + probe.reason() + "; using ring");
      }
    };
  }

  /**
   * A new {@code ncclUniqueId} (128 bytes) for one communicator; the coordinator's side calls it
   * once per generation and sends it to every rank in a {@link NcclRendezvous}.
   */
  public static byte[] ncclUniqueId(TrainingSettings settings) {
    NcclProbe probe = NcclProbe.run(settings);
    var nccl =
        probe
            .nccl()
            .orElseThrow(
                () ->
                    new CollectiveException(
                        ErrorKind.INVALID, "backend_unavailable", probe.reason()));
    byte[] id = new byte[NcclRendezvous.UNIQUE_ID_BYTES];
    int rc = nccl.getUniqueId(id);
    if (rc != 0) {
      throw new CollectiveException(
          ErrorKind.UNAVAILABLE, "nccl_error", "ncclGetUniqueId failed: " + nccl.describe(rc, 0));
    }
    return id;
  }

  /**
   * Joins an NCCL communicator; blocks until every rank joined or the collective timeout passed.
   * Every rank calls it concurrently with the same rendezvous id.
   */
  public static Communicator nccl(NcclRendezvous rendezvous, TrainingSettings settings) {
    NcclProbe probe = NcclProbe.run(settings);
    if (!probe.usable()) {
      throw new CollectiveException(
          ErrorKind.INVALID, "backend_unavailable", "nccl: " + probe.reason());
    }
    return NcclCommunicator.create(
        probe.nccl().orElseThrow(), probe.cudart().orElseThrow(), rendezvous, settings);
  }
}
