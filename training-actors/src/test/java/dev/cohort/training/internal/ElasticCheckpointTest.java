package dev.cohort.training.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.training.CheckpointInfo;
import dev.cohort.training.DatasetSource;
import dev.cohort.training.JobPhase;
import dev.cohort.training.JobStatus;
import dev.cohort.training.JobStatus.LossPoint;
import dev.cohort.training.MlpSpec;
import dev.cohort.training.OptimizerSpec;
import dev.cohort.training.RecoveryInfo;
import dev.cohort.training.SyntheticDataset;
import dev.cohort.training.TrainingJobSpec;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.collective.Backend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Elastic recovery from a checkpoint: three workers train, rank 0 checkpoints every 10 steps, one
 * worker actor is stopped mid-epoch (a graceful actor stop in this JVM, not a process death: {@code
 * RingProcessDeathTest} kills a rank's process), and with {@code recovery.prefer-replicas = off}
 * the two survivors continue from the last committed checkpoint and complete. Invariants: {@code
 * ResumesAtCheckpoint} (the recovery record names a committed checkpoint's step and the next
 * reported step follows it), {@code KeepsTwo} (at most checkpoint.keep manifests), {@code
 * RecoveryRecorded} (generation, reason, duration, metric).
 */
@Tag("integration")
class ElasticCheckpointTest {
  static final ActorTestKit testKit =
      TrainingTestKits.local("cohort.training.coordinator.max-loss-points = 100000");
  static final TrainingSettings SETTINGS =
      TrainingSettings.create(testKit.system().settings().config())
          .withRendezvousWait(Duration.ofMillis(300))
          .withCollectiveTimeout(Duration.ofSeconds(10))
          .withPreferReplicas(false);
  static final List<byte[]> DATA = SyntheticDataset.records(1500, 16, 4, 5);
  static final DatasetSource SOURCE = topic -> CompletableFuture.completedFuture(DATA);

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  static JobStatus awaitStatus(
      ActorRef<TrainingCoordinator.Command> coordinator,
      Duration max,
      java.util.function.Predicate<JobStatus> condition) {
    TestProbe<TrainingCoordinator.Reply> probe = testKit.createTestProbe();
    return probe.awaitAssert(
        max,
        Duration.ofMillis(50),
        () -> {
          coordinator.tell(new TrainingCoordinator.Get(probe.ref()));
          JobStatus s = TrainingTestKits.status(probe.receiveMessage(Duration.ofSeconds(5)));
          assertTrue(
              condition.test(s),
              () -> "status " + s.phase() + " step " + s.step() + " checkpoint " + s.checkpoint());
          return s;
        });
  }

  @Test
  void stopOneOfThreeWorkersAndTheOthersContinueFromTheLastCheckpoint() {
    TrainingJobSpec spec =
        new TrainingJobSpec(
            "elastic",
            MlpSpec.of(16, 32, 4),
            "synthetic",
            2,
            3,
            Backend.RING,
            30,
            16,
            new OptimizerSpec("adam", 0.01f, 0f),
            5,
            10,
            1);
    ActorRef<TrainingCoordinator.Command> coordinator =
        testKit.spawn(TrainingCoordinator.create("elastic-1", SETTINGS));
    TestProbe<TrainingCoordinator.Reply> submitted = testKit.createTestProbe();
    coordinator.tell(new TrainingCoordinator.Submit(spec, submitted.ref()));
    submitted.receiveMessage(Duration.ofSeconds(20));
    List<ActorRef<TrainingWorker.Command>> workers = new ArrayList<>();
    for (int w = 0; w < 3; w++) {
      workers.add(
          testKit.spawn(TrainingWorker.create("k" + w, coordinator, SOURCE, SETTINGS), "k" + w));
    }
    // Mid-epoch (an epoch of 1500 samples is 32 steps with three ranks) and past two checkpoints.
    JobStatus before =
        awaitStatus(
            coordinator,
            Duration.ofSeconds(60),
            s ->
                s.phase() == JobPhase.RUNNING
                    && s.checkpoint().map(c -> c.step() >= 20).orElse(false)
                    && s.step() % 32 > 5);
    assertEquals(3, before.members().size());
    testKit.stop(workers.get(2), Duration.ofSeconds(10));

    JobStatus done = awaitStatus(coordinator, Duration.ofSeconds(120), s -> s.phase().ended());
    assertEquals(JobPhase.COMPLETED, done.phase(), () -> "reason: " + done.reason());
    assertEquals(2, done.members().size(), "the last generation ran with the two survivors");

    RecoveryInfo recovery = done.recoveryLog().getFirst();
    assertEquals(
        RecoveryInfo.FROM_CHECKPOINT, recovery.resumedFrom(), "ResumesAtCheckpoint: " + recovery);
    assertTrue(
        recovery.resumedFromStep() >= before.checkpoint().orElseThrow().step(),
        "ResumesAtCheckpoint: " + recovery);
    assertEquals(
        0, recovery.resumedFromStep() % 10, "ResumesAtCheckpoint: a checkpoint step, " + recovery);
    // Whichever the coordinator hears first: the stopped worker's death watch, or a survivor whose
    // ring connection to it broke.
    assertTrue(
        recovery.generation() >= 2
            && recovery.durationMs() >= 0
            && (recovery.reason().contains("k2") || recovery.reason().contains("ring connection")),
        "RecoveryRecorded: " + recovery);
    // The loss curve shows the restart: after the recovery the step number goes back to the
    // checkpoint's.
    List<LossPoint> losses = done.losses();
    boolean restartedAtCheckpoint = false;
    for (int i = 1; i < losses.size(); i++) {
      if (losses.get(i).step() <= losses.get(i - 1).step()) {
        long restartedAt = losses.get(i).step();
        assertTrue(
            done.recoveryLog().stream().anyMatch(r -> r.resumedFromStep() + 1 == restartedAt),
            "ResumesAtCheckpoint: step "
                + restartedAt
                + " follows a recovery's checkpoint "
                + done.recoveryLog());
        restartedAtCheckpoint = true;
      }
    }
    assertTrue(
        restartedAtCheckpoint
            || losses.stream().anyMatch(p -> p.step() == recovery.resumedFromStep() + 1),
        "ResumesAtCheckpoint: the step after the checkpoint was reported");
    CheckpointInfo last = done.checkpoint().orElseThrow();
    assertTrue(
        last.step() > recovery.resumedFromStep() + 20,
        "checkpoints continue after the recovery: " + last);
    CheckpointStore store = new CheckpointStore(testKit.system());
    assertEquals(
        last.chunks(),
        store
            .read(
                CheckpointStore.persistenceId("elastic-1", last.generation(), last.step()),
                last.chunks())
            .toCompletableFuture()
            .join()
            .size(),
        "the latest checkpoint is readable");
    // KeepsTwo: besides the latest, at most one older checkpoint of this generation is still
    // stored (a checkpoint due while the previous write ran is skipped, so the steps vary).
    testKit
        .createTestProbe()
        .awaitAssert(
            Duration.ofSeconds(10),
            () -> {
              long stored = 0;
              for (long step = last.step() - 10; step > 0; step -= 10) {
                String id = CheckpointStore.persistenceId("elastic-1", last.generation(), step);
                if (store.read(id, 1).toCompletableFuture().handle((ok, e) -> e == null).join()) {
                  stored++;
                }
              }
              assertTrue(
                  stored <= 1,
                  "KeepsTwo: "
                      + stored
                      + " older checkpoints of generation "
                      + last.generation()
                      + " stored");
              return null;
            });
    String scrape = dev.cohort.observability.Metrics.get(testKit.system()).scrape();
    assertTrue(
        scrape.contains("cohort_training_recoveries_total{job=\"elastic-1\"}"),
        "RecoveryRecorded: metric");
  }
}
