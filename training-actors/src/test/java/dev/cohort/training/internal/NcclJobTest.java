package dev.cohort.training.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.training.DatasetSource;
import dev.cohort.training.JobPhase;
import dev.cohort.training.JobStatus;
import dev.cohort.training.MlpSpec;
import dev.cohort.training.OptimizerSpec;
import dev.cohort.training.SyntheticDataset;
import dev.cohort.training.TrainingJobSpec;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.collective.Backend;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The nccl backend through the real worker path on a machine where it cannot run (no GPU, or a
 * library missing): the node's {@link WorkerPool} probes, offers CPU workers carrying the probe's
 * reason, and a job asking for nccl ends FAILED naming that reason within a bounded time, never
 * hanging in RENDEZVOUS; afterwards the freed slots run an auto job on the ring. Skipped where a
 * GPU is usable (there gpu-check.sh runs the nccl job).
 */
@Tag("integration")
class NcclJobTest {
  static final ActorTestKit testKit = TrainingTestKits.local("");
  static final TrainingSettings SETTINGS =
      TrainingSettings.create(testKit.system().settings().config())
          .withNcclLibraryPath(
              NativeLibraries.ncclSearch().found().map(Object::toString).orElse(""))
          .withRendezvousWait(Duration.ofMillis(300));
  static final List<byte[]> DATA = SyntheticDataset.records(600, 16, 4, 9);
  static final DatasetSource SOURCE = topic -> CompletableFuture.completedFuture(DATA);

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  static TrainingJobSpec spec(String name, Backend backend) {
    return spec(name, backend, 1);
  }

  static TrainingJobSpec spec(String name, Backend backend, int minWorkers) {
    return new TrainingJobSpec(
        name,
        MlpSpec.of(16, 32, 4),
        "synthetic",
        minWorkers,
        2,
        backend,
        1,
        16,
        new OptimizerSpec("sgd", 0.05f, 0.9f),
        3,
        100,
        1);
  }

  static JobStatus awaitEnded(ActorRef<TrainingCoordinator.Command> coordinator, Duration max) {
    TestProbe<TrainingCoordinator.Reply> probe = testKit.createTestProbe();
    return probe.awaitAssert(
        max,
        Duration.ofMillis(100),
        () -> {
          coordinator.tell(new TrainingCoordinator.Get(probe.ref()));
          JobStatus s = TrainingTestKits.status(probe.receiveMessage());
          assertTrue(s.phase().ended(), () -> "phase " + s.phase() + " members " + s.members());
          return s;
        });
  }

  @Test
  void ncclJobWithoutAGpuFailsNamingTheReasonAndFreesTheSlots() {
    NcclProbe probe = NcclProbe.run(SETTINGS);
    Assumptions.assumeFalse(probe.usable(), "a GPU is usable here: " + probe.reason());
    testKit.spawn(WorkerPool.create(SOURCE, SETTINGS), "pool");

    ActorRef<TrainingCoordinator.Command> nccl =
        testKit.spawn(TrainingCoordinator.create("nccl-no-gpu", SETTINGS));
    TestProbe<TrainingCoordinator.Reply> submitted = testKit.createTestProbe();
    nccl.tell(new TrainingCoordinator.Submit(spec("nccl-no-gpu", Backend.NCCL), submitted.ref()));
    assertEquals(JobPhase.RENDEZVOUS, TrainingTestKits.status(submitted.receiveMessage()).phase());
    JobStatus failed = awaitEnded(nccl, Duration.ofSeconds(30));
    assertEquals(JobPhase.FAILED, failed.phase());
    String reason = failed.reason().orElseThrow();
    assertTrue(
        reason.contains("backend_unavailable")
            && reason.contains("nccl requested")
            && reason.contains(probe.reason()),
        reason);

    // The refused workers stopped and freed their slots: an auto job gets both and runs on the
    // ring. It needs both (workers.min 2): the job may fail before its workers have stopped, so
    // a first recruit can find one slot still held, and the job's recruit ticks ask again.
    ActorRef<TrainingCoordinator.Command> auto =
        testKit.spawn(TrainingCoordinator.create("auto-no-gpu", SETTINGS));
    auto.tell(
        new TrainingCoordinator.Submit(spec("auto-no-gpu", Backend.AUTO, 2), submitted.ref()));
    submitted.receiveMessage();
    JobStatus done = awaitEnded(auto, Duration.ofSeconds(60));
    assertEquals(JobPhase.COMPLETED, done.phase(), () -> "reason " + done.reason());
    assertEquals(2, done.workers().size());
    assertTrue(
        done.workers().stream()
            .allMatch(w -> w.backend().equals("ring") && w.device().equals("cpu")),
        () -> done.workers().toString());
  }
}
