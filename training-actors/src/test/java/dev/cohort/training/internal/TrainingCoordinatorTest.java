package dev.cohort.training.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.training.JobPhase;
import dev.cohort.training.JobStatus;
import dev.cohort.training.MlpSpec;
import dev.cohort.training.OptimizerSpec;
import dev.cohort.training.TrainingException;
import dev.cohort.training.TrainingJobSpec;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.collective.Backend;
import dev.cohort.training.collective.NcclRendezvous;
import dev.cohort.training.internal.TrainingCoordinator.Abort;
import dev.cohort.training.internal.TrainingCoordinator.Assignment;
import dev.cohort.training.internal.TrainingCoordinator.Command;
import dev.cohort.training.internal.TrainingCoordinator.Event;
import dev.cohort.training.internal.TrainingCoordinator.NcclStart;
import dev.cohort.training.internal.TrainingCoordinator.WorkerMessage;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The coordinator's rendezvous and lifecycle. The test kit serializes every command, event and
 * state through Kryo. Invariants: {@code OneRingPerGeneration} (all members get the same peers,
 * ranks 0..n-1, one token), {@code FreshTokenPerGeneration}, {@code LossEndsTheGeneration}.
 */
class TrainingCoordinatorTest {
  static final ActorTestKit testKit = TrainingTestKits.local("");
  static final TrainingSettings SETTINGS =
      TrainingSettings.create(testKit.system().settings().config())
          .withRendezvousWait(Duration.ofMillis(200));

  final EventSourcedBehaviorTestKit<Command, Event, JobState> kit =
      EventSourcedBehaviorTestKit.create(
          testKit.system(), TrainingCoordinator.create("job-1", SETTINGS));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void clear() {
    kit.clear();
  }

  static TrainingJobSpec spec(int min, int max) {
    return new TrainingJobSpec(
        "mnist-ish",
        MlpSpec.of(16, 32, 4),
        "synthetic",
        min,
        max,
        Backend.RING,
        2,
        32,
        new OptimizerSpec("adam", 0.01f, 0f),
        7,
        100,
        25);
  }

  JobStatus submit(TrainingJobSpec spec) {
    return TrainingTestKits.status(
        kit.<TrainingCoordinator.Reply>runCommand(r -> new TrainingCoordinator.Submit(spec, r))
            .reply());
  }

  TrainingCoordinator.Reply join(String id, TestProbe<WorkerMessage> worker) {
    return kit.<TrainingCoordinator.Reply>runCommand(
            r ->
                new TrainingCoordinator.Join(
                    id,
                    "127.0.0.1:" + (5000 + id.hashCode() % 1000),
                    -1,
                    -1,
                    "cpu",
                    worker.ref(),
                    r))
        .reply();
  }

  JobStatus status() {
    return TrainingTestKits.status(
        kit.<TrainingCoordinator.Reply>runCommand(TrainingCoordinator.Get::new).reply());
  }

  static Assignment assignment(TestProbe<WorkerMessage> p) {
    return assertInstanceOf(Assignment.class, p.receiveMessage(Duration.ofSeconds(5)));
  }

  static void assertOneRing(List<Assignment> assignments) {
    Set<Integer> ranks = new HashSet<>();
    for (Assignment a : assignments) {
      assertEquals(
          assignments.get(0).rendezvous().peers(),
          a.rendezvous().peers(),
          "OneRingPerGeneration: peers");
      assertEquals(
          assignments.get(0).rendezvous().token(),
          a.rendezvous().token(),
          "OneRingPerGeneration: token");
      assertEquals(assignments.get(0).generation(), a.generation());
      ranks.add(a.rendezvous().rank());
    }
    assertEquals(assignments.size(), assignments.get(0).rendezvous().size());
    for (int r = 0; r < assignments.size(); r++) {
      assertTrue(ranks.contains(r), "rank " + r + " assigned");
    }
  }

  static TrainingJobSpec spec(int min, int max, Backend backend) {
    return new TrainingJobSpec(
        "gpu-ish",
        MlpSpec.of(16, 32, 4),
        "synthetic",
        min,
        max,
        backend,
        2,
        32,
        new OptimizerSpec("adam", 0.01f, 0f),
        7,
        100,
        25);
  }

  TrainingCoordinator.Reply joinOn(String id, int gpu, TestProbe<WorkerMessage> worker) {
    String note =
        gpu >= 0
            ? "1 GPU(s), NCCL 2.30.7"
            : "no usable GPU: cudaGetDeviceCount returned cudaErrorNoDevice (100)";
    return kit.<TrainingCoordinator.Reply>runCommand(
            r ->
                new TrainingCoordinator.Join(
                    id,
                    "127.0.0.1:" + (6000 + id.hashCode() % 1000),
                    -1,
                    gpu,
                    note,
                    worker.ref(),
                    r))
        .reply();
  }

  /**
   * NcclRendezvousThroughActors: an auto job whose workers all have a GPU runs on nccl; rank 0's
   * unique id reaches every rank with its own rank and GPU.
   */
  @Test
  void autoWithGpuWorkersRunsNcclAndHandsRankZerosIdToEveryRank() {
    submit(spec(2, 2, Backend.AUTO));
    TestProbe<WorkerMessage> a = testKit.createTestProbe();
    TestProbe<WorkerMessage> b = testKit.createTestProbe();
    TrainingTestKits.status(joinOn("a", 0, a));
    TrainingTestKits.status(joinOn("b", 1, b));
    Assignment aa = assignment(a);
    Assignment ab = assignment(b);
    assertEquals(Backend.NCCL, aa.backend());
    assertEquals(Backend.NCCL, ab.backend());
    assertEquals(
        List.of(
            new JobStatus.Worker("a", "nccl", "cuda:0", "java"),
            new JobStatus.Worker("b", "nccl", "cuda:1", "java")),
        status().workers());

    byte[] id = new byte[NcclRendezvous.UNIQUE_ID_BYTES];
    id[0] = 42;
    id[127] = 7;
    kit.runCommand(
        new TrainingCoordinator.NcclIdCreated(aa.generation(), new NcclRendezvous(0, 2, id, 0)));
    NcclStart sa = assertInstanceOf(NcclStart.class, a.receiveMessage(Duration.ofSeconds(5)));
    NcclStart sb = assertInstanceOf(NcclStart.class, b.receiveMessage(Duration.ofSeconds(5)));
    assertEquals(new NcclRendezvous(aa.rendezvous().rank(), 2, id, 0), sa.rendezvous());
    assertEquals(new NcclRendezvous(ab.rendezvous().rank(), 2, id, 1), sb.rendezvous());

    // An id from an older generation is not handed out.
    kit.runCommand(
        new TrainingCoordinator.NcclIdCreated(
            aa.generation() - 1, new NcclRendezvous(0, 2, id, 0)));
    a.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void autoWithACpuWorkerRunsOnTheRing() {
    submit(spec(2, 2, Backend.AUTO));
    TestProbe<WorkerMessage> a = testKit.createTestProbe();
    TestProbe<WorkerMessage> b = testKit.createTestProbe();
    joinOn("a", 0, a);
    joinOn("b", -1, b);
    assertEquals(Backend.RING, assignment(a).backend());
    assertEquals(Backend.RING, assignment(b).backend());
    assertEquals(
        List.of(
            new JobStatus.Worker("a", "ring", "cuda:0", "java"),
            new JobStatus.Worker("b", "ring", "cpu", "java")),
        status().workers());
  }

  /**
   * NcclWithoutGpuFails: never a hang waiting for GPU workers; the reason names what is missing.
   */
  @Test
  void ncclJobFailsWhenAWorkerWithoutAGpuJoins() {
    submit(spec(2, 2, Backend.NCCL));
    TestProbe<WorkerMessage> gpu = testKit.createTestProbe();
    TestProbe<WorkerMessage> cpu = testKit.createTestProbe();
    TrainingTestKits.status(joinOn("gpu", 0, gpu));
    TrainingCoordinator.Reply refused = joinOn("cpu", -1, cpu);
    assertEquals("backend_unavailable", TrainingTestKits.rejectedCode(refused));
    JobStatus s = status();
    assertEquals(JobPhase.FAILED, s.phase());
    String reason = s.reason().orElseThrow();
    assertTrue(
        reason.contains("backend_unavailable")
            && reason.contains("worker cpu")
            && reason.contains("cudaErrorNoDevice"),
        reason);
    Abort abort = assertInstanceOf(Abort.class, gpu.receiveMessage(Duration.ofSeconds(5)));
    assertTrue(abort.jobEnded(), "the GPU worker is told the job ended");
  }

  @Test
  void specsAreValidatedWithTheBrokenRule() {
    TrainingException minMax = assertThrows(TrainingException.class, () -> spec(3, 2));
    assertEquals("invalid_workers", minMax.code());
    assertTrue(minMax.getMessage().contains("workers.min (3)"), minMax.getMessage());
    TrainingException opt =
        assertThrows(TrainingException.class, () -> new OptimizerSpec("rmsprop", 0.1f, 0));
    assertEquals("invalid_optimizer", opt.code());
    TrainingException backend = assertThrows(TrainingException.class, () -> Backend.parse("tpu"));
    assertEquals("unknown_backend", backend.code());
  }

  @Test
  void rendezvousFormsAGenerationAsSoonAsMaxWorkersJoined() {
    assertEquals(JobPhase.RENDEZVOUS, submit(spec(2, 3)).phase());
    TestProbe<WorkerMessage> a = testKit.createTestProbe();
    TestProbe<WorkerMessage> b = testKit.createTestProbe();
    TestProbe<WorkerMessage> c = testKit.createTestProbe();
    TrainingTestKits.status(join("a", a));
    TrainingTestKits.status(join("b", b));
    var third =
        kit.<TrainingCoordinator.Reply>runCommand(
            r -> new TrainingCoordinator.Join("c", "127.0.0.1:7003", -1, -1, "cpu", c.ref(), r));
    assertEquals(3, third.events().size(), "joined, then formed, with where it starts");
    assertInstanceOf(TrainingCoordinator.GenerationFormed.class, third.events().get(1));
    assertEquals(
        TrainingCoordinator.Resume.START,
        assertInstanceOf(TrainingCoordinator.GenerationResumed.class, third.events().get(2))
            .resume());
    assertOneRing(List.of(assignment(a), assignment(b), assignment(c)));
    JobStatus s = status();
    assertEquals(JobPhase.RUNNING, s.phase());
    assertEquals(List.of("a", "b", "c"), s.members());
    TestProbe<WorkerMessage> d = testKit.createTestProbe();
    assertEquals("job_full", TrainingTestKits.rejectedCode(join("d", d)), "workers.max reached");
  }

  @Test
  void rendezvousWithMinWorkersFormsAfterTheWait() {
    submit(spec(2, 4));
    TestProbe<WorkerMessage> a = testKit.createTestProbe();
    TestProbe<WorkerMessage> b = testKit.createTestProbe();
    join("a", a);
    a.expectNoMessage(Duration.ofMillis(50)); // one worker is below workers.min: nothing forms
    join("b", b);
    assertOneRing(List.of(assignment(a), assignment(b)));
    assertEquals(JobPhase.RUNNING, status().phase());
  }

  @Test
  void lostWorkerAbortsTheGenerationAndSurvivorsFormTheNext() {
    submit(spec(2, 3));
    TestProbe<WorkerMessage> a = testKit.createTestProbe();
    TestProbe<WorkerMessage> b = testKit.createTestProbe();
    TestProbe<WorkerMessage> c = testKit.createTestProbe();
    join("a", a);
    join("b", b);
    join("c", c);
    long firstToken = assignment(a).rendezvous().token();
    assignment(b);
    assignment(c);

    var lost = kit.runCommand(new TrainingCoordinator.WorkerLost("b", "node down"));
    assertInstanceOf(TrainingCoordinator.GenerationAborted.class, lost.event());
    Abort abortA = assertInstanceOf(Abort.class, a.receiveMessage(Duration.ofSeconds(5)));
    assertFalse(abortA.jobEnded());
    assertInstanceOf(Abort.class, c.receiveMessage(Duration.ofSeconds(5)));
    b.expectNoMessage(Duration.ofMillis(50));
    JobStatus aborted = status();
    assertEquals(JobPhase.RENDEZVOUS, aborted.phase());
    assertEquals(1, aborted.recoveries());
    assertTrue(aborted.reason().orElseThrow().contains("node down"));

    // Stale reports of generation 1 change nothing.
    kit.runCommand(new TrainingCoordinator.ReportProgress(1, 0, 10, 0.5, 100));
    assertEquals(List.of(), status().losses());

    join("a", a);
    join("c", c);
    Assignment a2 = assignment(a);
    assertOneRing(List.of(a2, assignment(c)));
    assertEquals(2, a2.generation());
    assertNotEquals(firstToken, a2.rendezvous().token(), "FreshTokenPerGeneration");
  }

  @Test
  void progressFinishAndRestart() {
    submit(spec(1, 1));
    TestProbe<WorkerMessage> a = testKit.createTestProbe();
    join("a", a);
    Assignment first = assignment(a);
    kit.runCommand(new TrainingCoordinator.ReportProgress(first.generation(), 0, 1, 1.25, 300));
    kit.runCommand(new TrainingCoordinator.ReportProgress(first.generation(), 0, 2, 0.75, 310));
    kit.restart();
    // The generation's members reported to the incarnation that stopped: the restarted one ends
    // that generation, tells its members to join it again, and records a recovery.
    Abort abort = assertInstanceOf(Abort.class, a.receiveMessage(Duration.ofSeconds(5)));
    assertEquals(first.generation(), abort.generation());
    assertFalse(abort.jobEnded());
    JobStatus recovered = status();
    assertEquals(JobPhase.RENDEZVOUS, recovered.phase());
    assertEquals(
        List.of(new JobStatus.LossPoint(1, 1.25), new JobStatus.LossPoint(2, 0.75)),
        recovered.losses());
    assertEquals("the coordinator restarted", recovered.recoveryLog().getFirst().reason());
    join("a", a);
    Assignment second = assignment(a);
    assertEquals(first.generation() + 1, second.generation());
    kit.runCommand(new TrainingCoordinator.ReportProgress(second.generation(), 0, 1, 1.2, 300));
    kit.runCommand(new TrainingCoordinator.Finish(second.generation()));
    JobStatus done = status();
    assertEquals(JobPhase.COMPLETED, done.phase());
    var recovery = done.recoveryLog().getFirst();
    assertEquals(second.generation(), recovery.generation());
    assertTrue(recovery.durationMs() >= 0, "the recovery ended with the first step: " + recovery);
    assertEquals(0, recovery.resumedFromStep(), "no checkpoint yet: from the start");
    assertEquals(
        "job_ended",
        TrainingTestKits.rejectedCode(join("late", testKit.createTestProbe())),
        "a completed job takes no workers");
  }

  @Test
  void cancelStopsEveryMemberAndResubmitIsIdempotent() {
    TrainingJobSpec spec = spec(2, 2);
    submit(spec);
    assertEquals(JobPhase.RENDEZVOUS, submit(spec).phase(), "same spec: same answer");
    var other =
        kit.<TrainingCoordinator.Reply>runCommand(
            r -> new TrainingCoordinator.Submit(spec(1, 2), r));
    assertEquals("job_exists", TrainingTestKits.rejectedCode(other.reply()));
    assertTrue(other.events().isEmpty());
    TestProbe<WorkerMessage> a = testKit.createTestProbe();
    TestProbe<WorkerMessage> b = testKit.createTestProbe();
    join("a", a);
    join("b", b);
    assignment(a);
    assignment(b);
    JobStatus cancelled =
        TrainingTestKits.status(
            kit.<TrainingCoordinator.Reply>runCommand(TrainingCoordinator.Cancel::new).reply());
    assertEquals(JobPhase.CANCELLED, cancelled.phase());
    assertTrue(assertInstanceOf(Abort.class, a.receiveMessage(Duration.ofSeconds(5))).jobEnded());
    assertTrue(assertInstanceOf(Abort.class, b.receiveMessage(Duration.ofSeconds(5))).jobEnded());
  }

  @Test
  void workerFailureFailsTheJobWithItsReason() {
    submit(spec(1, 1));
    TestProbe<WorkerMessage> a = testKit.createTestProbe();
    join("a", a);
    Assignment first = assignment(a);
    kit.runCommand(
        new TrainingCoordinator.Fail(first.generation(), "record 7: label 9 is outside [0, 4)"));
    JobStatus failed = status();
    assertEquals(JobPhase.FAILED, failed.phase());
    assertTrue(failed.reason().orElseThrow().contains("record 7"));
    assertTrue(assertInstanceOf(Abort.class, a.receiveMessage(Duration.ofSeconds(5))).jobEnded());
  }

  @Test
  void unknownJobRefusesWorkers() {
    assertEquals(
        "job_not_found", TrainingTestKits.rejectedCode(join("a", testKit.createTestProbe())));
    assertEquals(JobPhase.PENDING, status().phase());
  }

  @Test
  void mostAdvancedReplicaBecomesRankZeroAndStaleFailuresAreIgnored() {
    submit(spec(2, 2));
    TestProbe<WorkerMessage> fresh = testKit.createTestProbe();
    TestProbe<WorkerMessage> survivor = testKit.createTestProbe();
    kit.<TrainingCoordinator.Reply>runCommand(
        r ->
            new TrainingCoordinator.Join("fresh", "127.0.0.1:7101", -1, -1, "cpu", fresh.ref(), r));
    kit.<TrainingCoordinator.Reply>runCommand(
        r ->
            new TrainingCoordinator.Join(
                "survivor", "127.0.0.1:7102", 40, -1, "cpu", survivor.ref(), r));
    assertEquals(
        0, assignment(survivor).rendezvous().rank(), "the replica at step 40 is copied by all");
    Assignment f = assignment(fresh);
    assertEquals(1, f.rendezvous().rank());
    kit.runCommand(
        new TrainingCoordinator.GenerationFailed(f.generation() - 1, "fresh", "old news"));
    assertEquals(
        JobPhase.RUNNING, status().phase(), "a failure of an older generation changes nothing");
    kit.runCommand(
        new TrainingCoordinator.GenerationFailed(f.generation(), "fresh", "peer vanished"));
    assertEquals(JobPhase.RENDEZVOUS, status().phase());
    assertInstanceOf(Abort.class, survivor.receiveMessage(Duration.ofSeconds(5)));
  }

  @Test
  void aStoppedWorkerIsNoticedThroughDeathWatch() {
    submit(spec(2, 2));
    TestProbe<WorkerMessage> a = testKit.createTestProbe();
    TestProbe<WorkerMessage> b = testKit.createTestProbe();
    join("a", a);
    join("b", b);
    assignment(a);
    assignment(b);
    b.stop();
    assertInstanceOf(Abort.class, a.receiveMessage(Duration.ofSeconds(10)));
    JobStatus s = status();
    assertEquals(JobPhase.RENDEZVOUS, s.phase());
    assertTrue(s.reason().orElseThrow().contains("stopped"), s.reason().orElseThrow());
  }

  @Test
  void checkpointsAreCommittedKeptAndResumedFrom() {
    submit(spec(1, 2));
    TestProbe<WorkerMessage> a = testKit.createTestProbe();
    TestProbe<WorkerMessage> b = testKit.createTestProbe();
    join("a", a);
    join("b", b);
    long g = assignment(a).generation();
    assignment(b);
    for (long step : List.of(10L, 20L, 30L)) {
      kit.runCommand(new TrainingCoordinator.CheckpointSaved(g, checkpoint(g, step)));
    }
    // A stale checkpoint (an older step, or another generation) is never committed.
    kit.runCommand(new TrainingCoordinator.CheckpointSaved(g, checkpoint(g, 25)));
    kit.runCommand(new TrainingCoordinator.CheckpointSaved(g - 1, checkpoint(g - 1, 40)));
    assertEquals(30, status().checkpoint().orElseThrow().step());
    kit.restart();
    assertEquals(
        List.of(checkpoint(g, 20), checkpoint(g, 30)),
        kit.getState().job().checkpoints(),
        "KeepsTwo, durable");

    // Restart ended generation g; both join again, one with a replica at step 35.
    a.receiveMessage(Duration.ofSeconds(5));
    b.receiveMessage(Duration.ofSeconds(5));
    kit.<TrainingCoordinator.Reply>runCommand(
        r -> new TrainingCoordinator.Join("a", "127.0.0.1:5001", 35, -1, "cpu", a.ref(), r));
    kit.<TrainingCoordinator.Reply>runCommand(
        r -> new TrainingCoordinator.Join("b", "127.0.0.1:5002", -1, -1, "cpu", b.ref(), r));
    Assignment resumed = assignment(a);
    assignment(b);
    assertEquals(0, resumed.rendezvous().rank(), "the most advanced replica is rank 0");
    // prefer-replicas is on by default: the replica at 35 is newer than the checkpoint at 30.
    assertEquals(
        new TrainingCoordinator.Resume("replica", 35, java.util.Optional.empty()),
        resumed.resume());

    kit.runCommand(new TrainingCoordinator.WorkerLost("a", "stopped"));
    b.receiveMessage(Duration.ofSeconds(5)); // Abort
    kit.<TrainingCoordinator.Reply>runCommand(
        r -> new TrainingCoordinator.Join("b", "127.0.0.1:5003", -1, -1, "cpu", b.ref(), r));
    kit.runCommand(new TrainingCoordinator.RendezvousDeadline(status().generation()));
    Assignment fromCheckpoint = assignment(b);
    assertEquals(
        new TrainingCoordinator.Resume("checkpoint", 30, java.util.Optional.of(checkpoint(g, 30))),
        fromCheckpoint.resume());
  }

  static dev.cohort.training.CheckpointInfo checkpoint(long generation, long step) {
    return new dev.cohort.training.CheckpointInfo(
        generation, 0, step, 1, 100, 7, java.time.Instant.EPOCH);
  }
}
