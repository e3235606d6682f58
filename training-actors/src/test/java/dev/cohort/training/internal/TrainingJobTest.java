package dev.cohort.training.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.training.DatasetSource;
import dev.cohort.training.JobPhase;
import dev.cohort.training.JobStatus;
import dev.cohort.training.MlpSpec;
import dev.cohort.training.OptimizerSpec;
import dev.cohort.training.SampleCodec;
import dev.cohort.training.SyntheticDataset;
import dev.cohort.training.TrainingError;
import dev.cohort.training.TrainingJobSpec;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.collective.Backend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A whole job in one JVM: a coordinator and three worker actors training the synthetic dataset over
 * ring communicators. Invariants: {@code SurvivesWorkerLoss} (one worker is stopped mid-job; the
 * job continues with the other two in a new generation and completes), {@code LossFalls}, {@code
 * BadDataFailsTheJob}.
 */
@Tag("integration")
class TrainingJobTest {
  static final ActorTestKit testKit = TrainingTestKits.local("");
  static final TrainingSettings SETTINGS =
      // Keep every loss point: the LossFalls check compares the first step with the last.
      TrainingSettings.create(
              ConfigFactory.parseString("cohort.training.coordinator.max-loss-points = 100000")
                  .withFallback(testKit.system().settings().config()))
          .withRendezvousWait(Duration.ofMillis(300))
          .withCollectiveTimeout(Duration.ofSeconds(10));
  static final List<byte[]> GOOD = SyntheticDataset.records(1500, 16, 4, 3);
  static final List<byte[]> BAD =
      List.of(SampleCodec.encode(0, new float[16]), SampleCodec.encode(9, new float[16]));
  static final DatasetSource SOURCE =
      topic -> {
        List<byte[]> records = Map.of("synthetic", GOOD, "bad", BAD).get(topic);
        return records != null
            ? CompletableFuture.completedFuture(records)
            : CompletableFuture.failedFuture(
                TrainingError.DATASET_NOT_FOUND.exception("topic '" + topic + "' does not exist"));
      };

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  static TrainingJobSpec spec(String topic, int epochs) {
    return new TrainingJobSpec(
        "e2e",
        MlpSpec.of(16, 32, 4),
        topic,
        2,
        3,
        Backend.RING,
        epochs,
        16,
        new OptimizerSpec("adam", 0.01f, 0f),
        11,
        100,
        1);
  }

  static JobStatus get(
      ActorRef<TrainingCoordinator.Command> coordinator,
      TestProbe<TrainingCoordinator.Reply> probe) {
    coordinator.tell(new TrainingCoordinator.Get(probe.ref()));
    return TrainingTestKits.status(probe.receiveMessage(Duration.ofSeconds(5)));
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
          JobStatus s = get(coordinator, probe);
          assertTrue(
              condition.test(s),
              () -> "status " + s.phase() + " step " + s.step() + " generation " + s.generation());
          return s;
        });
  }

  @Test
  void jobSurvivesTheLossOfAWorkerAndCompletes() {
    ActorRef<TrainingCoordinator.Command> coordinator =
        testKit.spawn(TrainingCoordinator.create("e2e-1", SETTINGS));
    TestProbe<TrainingCoordinator.Reply> submitted = testKit.createTestProbe();
    coordinator.tell(new TrainingCoordinator.Submit(spec("synthetic", 40), submitted.ref()));
    assertEquals(JobPhase.RENDEZVOUS, TrainingTestKits.status(submitted.receiveMessage()).phase());
    List<ActorRef<TrainingWorker.Command>> workers = new ArrayList<>();
    for (int w = 0; w < 3; w++) {
      workers.add(
          testKit.spawn(TrainingWorker.create("w" + w, coordinator, SOURCE, SETTINGS), "w" + w));
    }
    JobStatus running =
        awaitStatus(
            coordinator,
            Duration.ofSeconds(60),
            s -> s.phase() == JobPhase.RUNNING && s.step() >= 30);
    assertEquals(3, running.members().size());
    testKit.stop(workers.get(1), Duration.ofSeconds(10));

    JobStatus done =
        awaitStatus(
            coordinator,
            Duration.ofSeconds(90),
            s -> s.phase().ordinal() >= JobPhase.COMPLETED.ordinal());
    assertEquals(JobPhase.COMPLETED, done.phase(), () -> "reason: " + done.reason());
    assertTrue(done.recoveries() >= 1, "recoveries " + done.recoveries());
    assertTrue(done.generation() >= 2, "generation " + done.generation());
    assertEquals(2, done.members().size(), "the last generation ran with the two survivors");
    double first = done.losses().getFirst().loss();
    double last = done.losses().getLast().loss();
    assertTrue(last < first / 2, "LossFalls: " + first + " -> " + last);

    String scrape = dev.cohort.observability.Metrics.get(testKit.system()).scrape();
    for (String series :
        List.of(
            "cohort_training_samples_total{job=\"e2e-1\"}",
            "cohort_training_recoveries_total{job=\"e2e-1\"}",
            "cohort_training_loss{job=\"e2e-1\"}",
            "cohort_training_busbw_bytes_per_second{job=\"e2e-1\"}",
            "cohort_training_allreduce_bytes_total{backend=\"ring\"}",
            "cohort_training_allreduce_seconds_count{backend=\"ring\"}",
            "cohort_training_step_seconds_count",
            "cohort_training_jobs{state=\"completed\"}")) {
      assertTrue(scrape.contains(series), "metrics lack " + series);
    }
  }

  @Test
  void malformedRecordsOrAMissingTopicFailTheJobWithTheReason() {
    for (String topic : List.of("bad", "missing")) {
      ActorRef<TrainingCoordinator.Command> coordinator =
          testKit.spawn(TrainingCoordinator.create("e2e-" + topic, SETTINGS));
      TestProbe<TrainingCoordinator.Reply> submitted = testKit.createTestProbe();
      coordinator.tell(new TrainingCoordinator.Submit(spec(topic, 1), submitted.ref()));
      submitted.receiveMessage();
      for (int w = 0; w < 2; w++) {
        testKit.spawn(TrainingWorker.create(topic + w, coordinator, SOURCE, SETTINGS));
      }
      JobStatus failed =
          awaitStatus(coordinator, Duration.ofSeconds(30), s -> s.phase() == JobPhase.FAILED);
      String reason = failed.reason().orElseThrow();
      assertTrue(
          topic.equals("bad")
              ? reason.contains("record 1: label 9")
              : reason.contains("does not exist"),
          reason);
    }
  }
}
