package dev.cohort.saga.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import dev.cohort.saga.SagaDefinition;
import dev.cohort.saga.SagaState;
import dev.cohort.saga.StepPhase;
import dev.cohort.saga.StepStatus;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Journal format version 1 of a saga instance: the events of a compensated order saga, written when
 * the format was introduced (fixtures/saga-instance-events-v1.bin: a count, then each event as
 * length and Kryo bytes). Replaying them must still give the same instance; changing an event or
 * the state incompatibly fails here.
 */
class SagaJournalFormatTest {
  private static final ActorTestKit kit =
      ActorTestKit.create(
          ConfigFactory.parseString("pekko.actor.provider = local")
              .withFallback(ConfigFactory.load()));
  private static final Serialization serialization =
      SerializationExtension.get(kit.system().classicSystem());
  private static final Path FIXTURE =
      Path.of("src/test/resources/fixtures/saga-instance-events-v1.bin");

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @Test
  void eventsWrittenByVersionOneStillReplay() throws IOException {
    List<SagaInstanceEntity.Event> events = new ArrayList<>();
    try (InputStream in = getClass().getResourceAsStream("/fixtures/saga-instance-events-v1.bin");
        DataInputStream data = new DataInputStream(in)) {
      int count = data.readInt();
      for (int i = 0; i < count; i++) {
        byte[] bytes = new byte[data.readInt()];
        data.readFully(bytes);
        events.add(
            (SagaInstanceEntity.Event)
                serialization.deserialize(bytes, SagaInstanceEntity.Event.class).get());
      }
    }
    InstanceData state = assertInstanceOf(InstanceState.Ended.class, replay(events)).data();
    assertEquals(versionOneEvents(), events);
    assertEquals(SagaState.COMPENSATED, state.status());
    assertEquals(
        List.of(StepStatus.COMPENSATED, StepStatus.FAILED),
        state.steps().stream().map(s -> s.status()).toList());
    assertEquals("ORD-001", state.view().contextMap().get("order_id"));
    assertEquals(Optional.of("declined"), state.steps().get(1).error());
  }

  /** Replays through the entity's own event handling (one pure function of stage and event). */
  private static InstanceState replay(List<SagaInstanceEntity.Event> events) {
    InstanceState s = new InstanceState.NotStarted("order-1");
    for (SagaInstanceEntity.Event e : events) {
      s = s.apply(e);
    }
    return s;
  }

  /** The fixture's content. */
  static List<SagaInstanceEntity.Event> versionOneEvents() {
    SagaDefinition definition =
        SagaDefinition.fromJson(
                "order",
                """
        {"steps":[
          {"name":"create_order","action":{"java":"create_order"},
           "compensation":{"java":"cancel_order"},
           "retry":{"maxAttempts":3,"initialBackoffMs":100,"maxBackoffMs":1000,"multiplier":2.0},
           "timeoutMs":5000},
          {"name":"process_payment",
           "action":{"http":{"method":"POST","url":"http://127.0.0.1:9000/pay",
                             "body":{"amount":"${input.amount}"},"successStatus":[201]}},
           "compensation":{"http":{"method":"POST","url":"http://127.0.0.1:9000/refund"}},
           "retry":{"maxAttempts":1}, "timeoutMs":2000}
        ], "deadlineMs": 60000}
        """)
            .withVersion(1);
    Instant t = Instant.ofEpochSecond(1_764_400_000L);
    return List.of(
        // written before Started carried the starter's trace context: it reads as none
        new SagaInstanceEntity.Started("order-1", definition, "{\"amount\":50000}", t, null),
        new SagaInstanceEntity.AttemptStarted(0, StepPhase.ACTION, 1, t.plusMillis(1)),
        new SagaInstanceEntity.AttemptSucceeded(
            0, StepPhase.ACTION, 1, "{\"order_id\":\"ORD-001\"}", t.plusMillis(2)),
        new SagaInstanceEntity.AttemptStarted(1, StepPhase.ACTION, 1, t.plusMillis(3)),
        new SagaInstanceEntity.AttemptFailed(
            1, StepPhase.ACTION, 1, "declined", false, Optional.empty(), t.plusMillis(4)),
        new SagaInstanceEntity.CompensationStarted(
            "step 'process_payment' failed", t.plusMillis(4)),
        new SagaInstanceEntity.AttemptStarted(0, StepPhase.COMPENSATION, 1, t.plusMillis(5)),
        new SagaInstanceEntity.AttemptSucceeded(
            0, StepPhase.COMPENSATION, 1, "{}", t.plusMillis(6)),
        new SagaInstanceEntity.Compensated(t.plusMillis(7)));
  }

  /**
   * Writes the fixture. Not a test: run it by hand, once, when a new format version is introduced
   * (from the saga module directory, with the test classpath).
   */
  public static void main(String[] args) throws IOException {
    writeFixture();
    kit.shutdownTestKit();
  }

  private static void writeFixture() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      List<SagaInstanceEntity.Event> events = versionOneEvents();
      out.writeInt(events.size());
      for (SagaInstanceEntity.Event e : events) {
        byte[] one = serialization.serialize(e).get();
        out.writeInt(one.length);
        out.write(one);
      }
    }
    Files.write(FIXTURE, bytes.toByteArray());
  }
}
