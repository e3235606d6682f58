package dev.cohort.training.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import dev.cohort.cluster.NodeConfig;
import dev.cohort.observability.Metrics;
import dev.cohort.testkit.TestClusters;
import dev.cohort.training.DatasetSource;
import dev.cohort.training.JobPhase;
import dev.cohort.training.JobStatus;
import dev.cohort.training.MlpSpec;
import dev.cohort.training.OptimizerSpec;
import dev.cohort.training.RecoveryInfo;
import dev.cohort.training.SyntheticDataset;
import dev.cohort.training.TrainingJobSpec;
import dev.cohort.training.TrainingJobs;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.collective.Backend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Jobs outlive their node, on the real embedded journal (H2 files in a data directory): {@code
 * WholeRestart} (one node stopped mid-run and started again on the same data directory; nobody asks
 * for the job, the waker resumes it from its checkpoint and it completes), and checkpoint chunks
 * round-trip through H2. Runs with {@code recovery.prefer-replicas = off} so that the checkpoint is
 * what a job resumes from. {@link CoordinatorNodeLeaveTest} shares the set-up. Both stop nodes
 * gracefully; none of them kills a process.
 */
@Tag("integration")
class CoordinatorRestartTest {
  static final List<byte[]> DATA = SyntheticDataset.records(2000, 16, 4, 21);
  static final DatasetSource SOURCE = topic -> CompletableFuture.completedFuture(DATA);

  static Config config(Path dataDir) {
    return TestClusters.h2Journal(
        dataDir,
        TestClusters.node(
                """
                cohort.training.cpu-slots = 2
                cohort.training.coordinator.rendezvous-wait = 300ms
                cohort.training.coordinator.recruit-interval = 500ms
                cohort.training.coordinator.wake-interval = 500ms
                cohort.training.coordinator.max-loss-points = 100000
                cohort.training.collective.timeout = 10s
                cohort.training.recovery.prefer-replicas = off
                """)
            .withFallback(NodeConfig.pekkoDefaults()));
  }

  /** A node of the cluster {@code seed} started (itself when null), with training started. */
  static Node node(Config config, ActorTestKit seed) {
    ActorTestKit kit =
        TestClusters.join(ActorTestKit.create("cohort", config), seed, Duration.ofSeconds(30));
    TrainingJobs jobs =
        TrainingJobs.start(
            kit.system(),
            TrainingSettings.create(kit.system().settings().config()),
            SOURCE,
            Duration.ofSeconds(10));
    return new Node(kit, jobs);
  }

  record Node(ActorTestKit kit, TrainingJobs jobs) {}

  static <T> T await(CompletionStage<T> stage) {
    return stage.toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
  }

  static JobStatus awaitStatus(
      Node node, String jobId, Duration max, java.util.function.Predicate<JobStatus> condition) {
    TestProbe<Object> probe = node.kit().createTestProbe();
    return probe.awaitAssert(
        max,
        Duration.ofMillis(100),
        () -> {
          JobStatus s = await(node.jobs().get(jobId));
          assertTrue(
              condition.test(s),
              () ->
                  "status "
                      + s.phase()
                      + " step "
                      + s.step()
                      + " checkpoint "
                      + s.checkpoint()
                      + " reason "
                      + s.reason());
          return s;
        });
  }

  static TrainingJobSpec spec(int maxWorkers, int epochs) {
    return new TrainingJobSpec(
        "restart",
        MlpSpec.of(16, 64, 4),
        "synthetic",
        1,
        maxWorkers,
        Backend.RING,
        epochs,
        16,
        new OptimizerSpec("adam", 0.005f, 0f),
        13,
        10,
        1);
  }

  /**
   * Whether this node hosts {@code jobId}'s coordinator: coordinators publish their job's state on
   * their node.
   */
  static boolean hostsCoordinator(Node node) {
    return Metrics.get(node.kit().system())
        .scrape()
        .contains("cohort_training_jobs{state=\"running\"} 1.0");
  }

  @Test
  void checkpointChunksRoundTripThroughTheH2Journal() throws Exception {
    Node node = node(config(Files.createTempDirectory("cohort-ckpt")), null);
    try {
      CheckpointStore store = new CheckpointStore(node.kit().system());
      byte[] bytes = new byte[3 << 20];
      new java.util.Random(1).nextBytes(bytes);
      String id = CheckpointStore.persistenceId("h2", 1, 1);
      await(store.write(id, CheckpointCodec.split(bytes, 1 << 20)));
      assertArrayEquals(bytes, CheckpointCodec.join(await(store.read(id, 3))));
      await(store.delete(id));
    } finally {
      node.kit().shutdownTestKit();
    }
  }

  @Test
  void jobResumesFromItsCheckpointAfterTheWholeNodeRestarts() throws Exception {
    Config config = config(Files.createTempDirectory("cohort-restart"));
    Node node = node(config, null);
    JobStatus before;
    try {
      await(node.jobs().submit("whole-restart", spec(2, 40)));
      before =
          awaitStatus(
              node,
              "whole-restart",
              Duration.ofSeconds(60),
              s ->
                  s.phase() == JobPhase.RUNNING
                      && s.checkpoint().map(c -> c.step() >= 20).orElse(false));
    } finally {
      node.kit().shutdownTestKit();
    }
    Node restarted = node(config, null);
    try {
      // Nobody asks for the job: the waker finds it in the index and its coordinator resumes it.
      // The coordinator reports "running" as soon as it has recovered its state; the resume (and
      // its recovery-log entry) follows once the workers have rendezvoused, so wait for both.
      TestProbe<Object> probe = restarted.kit().createTestProbe();
      probe.awaitAssert(
          Duration.ofSeconds(60),
          Duration.ofMillis(200),
          () -> {
            String scrape = Metrics.get(restarted.kit().system()).scrape();
            assertTrue(
                scrape.contains("cohort_training_jobs{state=\"running\"} 1.0")
                    || scrape.contains("cohort_training_jobs{state=\"completed\"} 1.0"),
                "the job's coordinator is back");
            JobStatus running = await(restarted.jobs().get("whole-restart"));
            assertTrue(running.recoveryLog().size() >= 1, "WholeRestart: " + running.recoveryLog());
            return running;
          });
      JobStatus done =
          awaitStatus(restarted, "whole-restart", Duration.ofSeconds(120), s -> s.phase().ended());
      assertEquals(JobPhase.COMPLETED, done.phase(), () -> "reason " + done.reason());
      RecoveryInfo recovery = done.recoveryLog().getLast();
      assertEquals(
          RecoveryInfo.FROM_CHECKPOINT, recovery.resumedFrom(), "WholeRestart: " + recovery);
      assertTrue(
          recovery.resumedFromStep() >= before.checkpoint().orElseThrow().step(),
          "WholeRestart: " + recovery);
      assertTrue(
          done.losses().stream().anyMatch(p -> p.step() == recovery.resumedFromStep() + 1),
          "WholeRestart: training went on from the step after the checkpoint");
      assertEquals(
          List.of("whole-restart"),
          await(restarted.jobs().list()).stream().map(JobStatus::jobId).toList());
    } finally {
      restarted.kit().shutdownTestKit();
    }
  }
}
