package dev.cohort.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import dev.cohort.testkit.TestClusters;
import dev.cohort.training.collective.Backend;
import dev.cohort.training.internal.WorkerPool;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The embedded API on a one-node cluster with sharding: submit, watch to completion, get, cancel,
 * and the typed errors. Messages are Kryo-serialized on every send.
 */
@Tag("integration")
class TrainingJobsTest {
  static final ActorTestKit testKit =
      ActorTestKit.create(
          TestClusters.node("cohort.training.coordinator.rendezvous-wait = 300ms")
              .withFallback(EventSourcedBehaviorTestKit.config())
              .withFallback(ConfigFactory.load()));
  static final List<byte[]> DATA = SyntheticDataset.records(1000, 16, 4, 9);

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  static <T> T await(java.util.concurrent.CompletionStage<T> stage) {
    return stage.toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
  }

  static TrainingJobSpec spec(int epochs) {
    return new TrainingJobSpec(
        "api",
        MlpSpec.of(16, 32, 4),
        "synthetic",
        2,
        2,
        Backend.RING,
        epochs,
        16,
        new OptimizerSpec("adam", 0.01f, 0f),
        3,
        100,
        25);
  }

  @Test
  void submitRunsToCompletionAndErrorsAreTyped() {
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    TrainingSettings settings = TrainingSettings.create(testKit.system().settings().config());
    TrainingJobs jobs =
        TrainingJobs.start(
            testKit.system(),
            settings,
            topic -> CompletableFuture.completedFuture(DATA),
            Duration.ofSeconds(10));

    TestProbe<Object> probe = testKit.createTestProbe();
    // The pool registers with the receptionist asynchronously, and a coordinator recruits once at
    // submit: submit only after the pool is listed.
    probe.awaitAssert(
        Duration.ofSeconds(20),
        Duration.ofMillis(100),
        () -> {
          TestProbe<Receptionist.Listing> listing = testKit.createTestProbe();
          testKit.system().receptionist().tell(Receptionist.find(WorkerPool.KEY, listing.ref()));
          assertEquals(1, listing.receiveMessage().getServiceInstances(WorkerPool.KEY).size());
          return null;
        });

    JobStatus submitted = await(jobs.submit("api-1", spec(3)));
    assertEquals(JobPhase.RENDEZVOUS, submitted.phase());
    JobStatus done =
        probe.awaitAssert(
            Duration.ofSeconds(60),
            Duration.ofMillis(100),
            () -> {
              JobStatus s = await(jobs.get("api-1"));
              assertEquals(
                  JobPhase.COMPLETED, s.phase(), () -> "phase " + s.phase() + " " + s.reason());
              return s;
            });
    assertEquals(2, done.members().size());
    assertEquals(
        JobPhase.COMPLETED,
        await(jobs.cancel("api-1")).phase(),
        "cancelling an ended job changes nothing");

    TrainingException conflict = failure(() -> await(jobs.submit("api-1", spec(4))));
    assertEquals("job_exists", conflict.code());
    TrainingException missing = failure(() -> await(jobs.get("nope")));
    assertEquals("job_not_found", missing.code());
    TrainingException missingCancel = failure(() -> await(jobs.cancel("nope")));
    assertEquals("job_not_found", missingCancel.code());

    // The list holds every submitted job with its status; a failed submit leaves no job in it.
    TrainingException invalidId =
        assertThrows(TrainingException.class, () -> jobs.submit("", spec(1)));
    assertEquals("invalid_job_id", invalidId.code());
    List<JobStatus> listed = await(jobs.list());
    assertEquals(List.of("api-1"), listed.stream().map(JobStatus::jobId).toList());
    assertEquals(JobPhase.COMPLETED, listed.getFirst().phase());
    assertEquals(done.step(), listed.getFirst().step());
  }

  static TrainingException failure(Runnable r) {
    CompletionException e = assertThrows(CompletionException.class, r::run);
    return assertInstanceOf(TrainingException.class, e.getCause(), () -> "cause " + e.getCause());
  }
}
