package dev.cohort.training.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.training.JobPhase;
import dev.cohort.training.JobStatus;
import dev.cohort.training.MlpSpec;
import dev.cohort.training.OptimizerSpec;
import dev.cohort.training.TrainingJobSpec;
import dev.cohort.training.collective.Backend;
import dev.cohort.training.compute.ComputeKind;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The job's {@code compute} through real worker actors: a 2-worker job on {@code openblas} learns
 * and its status names openblas for every worker; a job asking for {@code cublas} on CPU workers
 * fails at once with {@code compute_unavailable} and the workers' probe findings.
 */
@Tag("integration")
class ComputeJobTest {

  static TrainingJobSpec spec(ComputeKind compute, Backend backend) {
    return new TrainingJobSpec(
        "compute",
        MlpSpec.of(16, 33, 4),
        "synthetic",
        2,
        2,
        backend,
        20,
        16,
        new OptimizerSpec("adam", 0.01f, 0f),
        11,
        1000,
        1,
        compute);
  }

  private static ActorRef<TrainingCoordinator.Command> submit(String id, TrainingJobSpec spec) {
    ActorRef<TrainingCoordinator.Command> coordinator =
        TrainingJobTest.testKit.spawn(TrainingCoordinator.create(id, TrainingJobTest.SETTINGS));
    TestProbe<TrainingCoordinator.Reply> submitted = TrainingJobTest.testKit.createTestProbe();
    coordinator.tell(new TrainingCoordinator.Submit(spec, submitted.ref()));
    submitted.receiveMessage();
    for (int w = 0; w < 2; w++) {
      TrainingJobTest.testKit.spawn(
          TrainingWorker.create(
              id + "-w" + w, coordinator, TrainingJobTest.SOURCE, TrainingJobTest.SETTINGS));
    }
    return coordinator;
  }

  @Test
  void aTwoWorkerJobOnOpenBlasLearnsAndNamesItsCompute() {
    ComputeProbe.Result probe = ComputeProbe.openblas(TrainingJobTest.SETTINGS);
    Assumptions.assumeTrue(probe.usable(), () -> "openblas cannot run here: " + probe.reason());
    ActorRef<TrainingCoordinator.Command> coordinator =
        submit("compute-openblas", spec(ComputeKind.OPENBLAS, Backend.RING));
    JobStatus done =
        TrainingJobTest.awaitStatus(
            coordinator,
            Duration.ofSeconds(90),
            s -> s.phase().ordinal() >= JobPhase.COMPLETED.ordinal());
    assertEquals(JobPhase.COMPLETED, done.phase(), () -> "reason: " + done.reason());
    assertEquals(2, done.workers().size());
    for (JobStatus.Worker w : done.workers()) {
      assertEquals("openblas", w.compute(), () -> "worker " + w);
      assertEquals("ring", w.backend());
    }
    double first = done.losses().getFirst().loss();
    double last = done.losses().getLast().loss();
    assertTrue(last < first / 2, "LossFalls: " + first + " -> " + last);
  }

  @Test
  void cublasOnCpuWorkersFailsTheJobWithTheReason() {
    ActorRef<TrainingCoordinator.Command> coordinator =
        submit("compute-cublas", spec(ComputeKind.CUBLAS, Backend.AUTO));
    JobStatus failed =
        TrainingJobTest.awaitStatus(
            coordinator, Duration.ofSeconds(30), s -> s.phase() == JobPhase.FAILED);
    String reason = failed.reason().orElseThrow();
    assertTrue(reason.startsWith("compute_unavailable: cublas requested"), reason);
    assertTrue(reason.contains("cublas: no GPU"), reason);
  }
}
