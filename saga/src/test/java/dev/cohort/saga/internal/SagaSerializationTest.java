package dev.cohort.saga.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import dev.cohort.testkit.SerializationCoverage;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Every saga class that crosses the wire or reaches the journal (commands, replies, events, states,
 * API records) is registered in 3000–3999 and round-trips through Pekko serialization; replies to
 * asks are not covered by serialize-messages, so this is where they are proven. Samples are built
 * by reflection with every component filled in.
 */
class SagaSerializationTest {
  private static final ActorTestKit kit =
      ActorTestKit.create(
          ConfigFactory.parseString("pekko.actor.provider = local")
              .withFallback(ConfigFactory.load()));
  private static final Serialization serialization =
      SerializationExtension.get(kit.system().classicSystem());
  private static final ActorRef<Object> ref = kit.createTestProbe().getRef();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @Test
  void idsAreInSagasRangeAndUsedOnce() {
    assertEquals(List.of(), SerializationCoverage.idProblems(new SagaRegistrations(), 3000, 3999));
  }

  @Test
  void everySerializableClassOfTheModuleIsRegisteredAndRoundTrips() throws Exception {
    assertEquals(
        List.of(),
        new SerializationCoverage(serialization, ref).failuresUnder("dev.cohort.saga", 30));
  }

  @Test
  void aRunningInstanceStateRoundTrips() throws Exception {
    var definition =
        dev.cohort.saga.SagaDefinition.fromJson(
            "orders",
            """
        {"steps":[
          {"name":"create_order",
           "action":{"kv":{"op":"put","keyspace":"orders","key":"${sagaId}","value":"created"}},
           "compensation":{"kv":{"op":"put","keyspace":"orders","key":"${sagaId}","value":"x"}}},
          {"name":"pay","action":{"http":{"method":"POST","url":"http://127.0.0.1:9/pay",
           "body":{"amount":"${input.amount}"}}}}
        ]}""");
    InstanceState state =
        new InstanceState.NotStarted("i-1")
            .apply(
                new SagaInstanceEntity.Started(
                    "i-1",
                    definition,
                    "{\"amount\":5}",
                    Instant.now(),
                    new dev.cohort.observability.TraceContext(
                        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", null)))
            .apply(
                new SagaInstanceEntity.AttemptStarted(
                    0, dev.cohort.saga.StepPhase.ACTION, 1, Instant.now()))
            .apply(
                new SagaInstanceEntity.AttemptSucceeded(
                    0, dev.cohort.saga.StepPhase.ACTION, 1, "{\"revision\":3}", Instant.now()));
    assertInstanceOf(InstanceState.Active.class, state);
    byte[] bytes = serialization.serialize(state).get();
    var serializer = serialization.findSerializerFor(state);
    Object back =
        serialization
            .deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, state))
            .get();
    assertEquals(state, back);
  }
}
