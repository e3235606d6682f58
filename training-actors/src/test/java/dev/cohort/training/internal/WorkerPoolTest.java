package dev.cohort.training.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
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
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Submitting is enough: the coordinator finds the node's worker pool through the receptionist, the
 * pool spawns workers into its {@code cpu-slots} (default 2), and the job runs to completion with
 * two workers on one node, as {@code ./cohort run} will.
 */
@Tag("integration")
class WorkerPoolTest {
  static final ActorTestKit testKit = TrainingTestKits.local("");
  static final TrainingSettings SETTINGS =
      // gpus = 0: CPU slots even on a GPU machine, so that two workers exist there too.
      TrainingSettings.create(
              ConfigFactory.parseString("cohort.training.gpus = 0")
                  .withFallback(testKit.system().settings().config()))
          .withRendezvousWait(Duration.ofMillis(300));
  static final List<byte[]> DATA = SyntheticDataset.records(1000, 16, 4, 5);
  static final DatasetSource SOURCE = topic -> CompletableFuture.completedFuture(DATA);

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void submittedJobRecruitsTheNodesSlotsAndCompletes() {
    testKit.spawn(WorkerPool.create(SOURCE, SETTINGS), "pool");
    TestProbe<Receptionist.Listing> listing = testKit.createTestProbe();
    listing.awaitAssert(
        Duration.ofSeconds(10),
        Duration.ofMillis(50),
        () -> {
          testKit.system().receptionist().tell(Receptionist.find(WorkerPool.KEY, listing.ref()));
          assertFalse(
              listing.receiveMessage().getServiceInstances(WorkerPool.KEY).isEmpty(),
              "pool registered");
          return null;
        });

    ActorRef<TrainingCoordinator.Command> coordinator =
        testKit.spawn(TrainingCoordinator.create("pooled", SETTINGS));
    TestProbe<TrainingCoordinator.Reply> probe = testKit.createTestProbe();
    // workers.max 3 on a node with 2 slots: the rendezvous forms with the 2 it gets after the wait.
    coordinator.tell(
        new TrainingCoordinator.Submit(
            new TrainingJobSpec(
                "pooled",
                MlpSpec.of(16, 32, 4),
                "synthetic",
                2,
                3,
                Backend.AUTO,
                3,
                16,
                new OptimizerSpec("sgd", 0.05f, 0.9f),
                1,
                100,
                25),
            probe.ref()));
    probe.receiveMessage();
    JobStatus done =
        probe.awaitAssert(
            Duration.ofSeconds(60),
            Duration.ofMillis(100),
            () -> {
              coordinator.tell(new TrainingCoordinator.Get(probe.ref()));
              JobStatus s = TrainingTestKits.status(probe.receiveMessage());
              assertEquals(
                  JobPhase.COMPLETED,
                  s.phase(),
                  () -> "phase " + s.phase() + " members " + s.members() + " reason " + s.reason());
              return s;
            });
    assertEquals(2, done.members().size());
    assertEquals(1, done.generation());
    assertTrue(
        done.workers().stream()
            .allMatch(w -> w.backend().equals("ring") && w.device().equals("cpu")),
        () -> "auto on CPU workers runs the ring: " + done.workers());
  }
}
