package dev.cohort.training.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.observability.Tracing;
import dev.cohort.training.JobPhase;
import dev.cohort.training.JobStatus;
import dev.cohort.training.MlpSpec;
import dev.cohort.training.OptimizerSpec;
import dev.cohort.training.TrainingJobSpec;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.collective.Backend;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.pekko.actor.BootstrapSetup;
import org.apache.pekko.actor.setup.ActorSystemSetup;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The span tree of a training job, collected in memory: one span per generation, and below it each
 * rank's {@code training rendezvous}, rank 0's {@code training checkpoint write}s and the {@code
 * training allreduce} calls of sampled steps only (every {@code allreduce-every-steps}-th step,
 * from both ranks), all in the generation's trace with the generation span as parent.
 */
@Tag("integration")
class TrainingSpansTest {
  private static final int EVERY = 20;
  private static final ConcurrentLinkedQueue<SpanData> spans = new ConcurrentLinkedQueue<>();
  private static final ActorTestKit testKit =
      ActorTestKit.create(
          ActorSystem.create(
              Behaviors.empty(),
              "training-spans",
              ActorSystemSetup.create(
                  BootstrapSetup.create(
                      EventSourcedBehaviorTestKit.config()
                          .withFallback(
                              ConfigFactory.parseString(
                                  "pekko.actor.provider = local\n"
                                      + "cohort.training.tracing.allreduce-every-steps = "
                                      + EVERY))
                          .withFallback(ConfigFactory.load())),
                  new Tracing.ExporterSetup(new Collector()))));
  private static final TrainingSettings SETTINGS =
      TrainingSettings.create(testKit.system().settings().config())
          .withRendezvousWait(Duration.ofMillis(300))
          .withCollectiveTimeout(Duration.ofSeconds(10));

  /** Keeps every ended span. */
  private static final class Collector implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> batch) {
      spans.addAll(batch);
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static List<SpanData> named(String name) {
    return spans.stream().filter(s -> s.getName().equals(name)).toList();
  }

  @Test
  void generationSpanHasRendezvousCheckpointAndSampledAllreduceChildren() {
    ActorRef<TrainingCoordinator.Command> coordinator =
        testKit.spawn(TrainingCoordinator.create("spans-1", SETTINGS));
    TestProbe<TrainingCoordinator.Reply> probe = testKit.createTestProbe();
    TrainingJobSpec spec =
        new TrainingJobSpec(
            "spans",
            MlpSpec.of(16, 32, 4),
            "synthetic",
            2,
            2,
            Backend.RING,
            1,
            16,
            new OptimizerSpec("adam", 0.01f, 0f),
            11,
            10,
            1);
    coordinator.tell(new TrainingCoordinator.Submit(spec, probe.ref()));
    probe.receiveMessage();
    for (int w = 0; w < 2; w++) {
      testKit.spawn(
          TrainingWorker.create("w" + w, coordinator, TrainingJobTest.SOURCE, SETTINGS), "w" + w);
    }
    JobStatus done =
        probe.awaitAssert(
            Duration.ofSeconds(90),
            Duration.ofMillis(100),
            () -> {
              coordinator.tell(new TrainingCoordinator.Get(probe.ref()));
              JobStatus s = TrainingTestKits.status(probe.receiveMessage(Duration.ofSeconds(5)));
              assertEquals(JobPhase.COMPLETED, s.phase(), () -> "reason: " + s.reason());
              return s;
            });
    assertTrue(done.step() >= 2 * EVERY, "enough steps for two sampled ones: " + done.step());
    Set<Long> sampledSteps =
        LongStream.rangeClosed(1, done.step())
            .filter(step -> step % EVERY == 0)
            .boxed()
            .collect(Collectors.toCollection(TreeSet::new));

    long checkpointStep = done.checkpoint().orElseThrow().step();
    // Spans end as their work ends (the generation's when the job completed, a checkpoint's when
    // it is durable, before the coordinator hears of it): wait for the generation's.
    SpanData generation =
        probe.awaitAssert(
            Duration.ofSeconds(30),
            Duration.ofMillis(50),
            () -> {
              List<SpanData> generations =
                  spans.stream()
                      .filter(s -> s.getName().startsWith("training spans-1 generation "))
                      .toList();
              assertEquals(1, generations.size(), "one span for the one generation");
              return generations.getFirst();
            });
    assertTrue(
        named("training checkpoint write").stream()
            .anyMatch(
                s ->
                    s.getAttributes().get(AttributeKey.longKey("training.step")) == checkpointStep),
        "the checkpoint the coordinator recorded was written in a span");

    List<SpanData> children =
        spans.stream().filter(s -> s.getName().startsWith("training ") && s != generation).toList();
    assertEquals(
        Set.of("training rendezvous", "training checkpoint write", "training allreduce"),
        children.stream().map(SpanData::getName).collect(Collectors.toSet()));
    for (SpanData child : children) {
      assertEquals(generation.getTraceId(), child.getTraceId(), child.getName());
      assertEquals(generation.getSpanId(), child.getParentSpanId(), child.getName());
    }

    Set<Long> rendezvousRanks =
        named("training rendezvous").stream()
            .map(s -> s.getAttributes().get(AttributeKey.longKey("training.rank")))
            .collect(Collectors.toSet());
    assertEquals(Set.of(0L, 1L), rendezvousRanks, "each rank formed its communicator in a span");

    List<SpanData> allreduces = named("training allreduce");
    assertFalse(allreduces.isEmpty(), "sampled steps record their allreduce calls");
    Map<Long, Set<Long>> ranksByStep =
        allreduces.stream()
            .collect(
                Collectors.groupingBy(
                    s -> s.getAttributes().get(AttributeKey.longKey("training.step")),
                    TreeMapSupplier.INSTANCE,
                    Collectors.mapping(
                        s -> s.getAttributes().get(AttributeKey.longKey("training.rank")),
                        Collectors.toSet())));
    assertEquals(
        sampledSteps, ranksByStep.keySet(), "allreduce spans in every sampled step and no other");
    ranksByStep.forEach(
        (step, ranks) -> assertEquals(Set.of(0L, 1L), ranks, "both ranks in step " + step));
    assertTrue(
        allreduces.size() < done.step(),
        "sampling keeps the spans far below one per call: " + allreduces.size());
  }

  /** A sorted map for grouping, so that failures list steps in order. */
  private enum TreeMapSupplier implements java.util.function.Supplier<Map<Long, Set<Long>>> {
    INSTANCE;

    @Override
    public Map<Long, Set<Long>> get() {
      return new java.util.TreeMap<>();
    }
  }
}
