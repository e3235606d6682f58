package dev.cohort.persistence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.observability.TraceContext;
import dev.cohort.persistence.internal.KryoSerializer;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class KryoSerializerTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create(
          ConfigFactory.parseString("pekko.actor.serialize-messages = on")
              .withFallback(ConfigFactory.load()));
  private static final Serialization serialization =
      SerializationExtension.get(testKit.system().classicSystem());

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static Object roundTrip(Object value) {
    var serializer = serialization.findSerializerFor(value);
    assertEquals(KryoSerializer.IDENTIFIER, serializer.identifier());
    byte[] bytes = serialization.serialize(value).get();
    String manifest = Serializers.manifestFor(serializer, value);
    return serialization.deserialize(bytes, serializer.identifier(), manifest).get();
  }

  @Test
  void recordsWithJdkTypesRoundTrip() {
    var value =
        new TestTypes.Everything(
            "héllo",
            -7,
            Long.MAX_VALUE,
            0.25,
            true,
            UUID.randomUUID(),
            Instant.parse("2026-11-29T10:15:30.123456789Z"),
            Optional.of("x"),
            List.of("a", "b", "c"),
            Map.of("k", 1L, "l", 2L),
            new TestTypes.Nested(List.of(new TestTypes.Nested(List.of(), "leaf")), "root"));
    assertEquals(value, roundTrip(value));
  }

  @Test
  void enumSingletonStaysTheSameInstance() {
    assertSame(TestTypes.Stop.INSTANCE, roundTrip(TestTypes.Stop.INSTANCE));
  }

  @Test
  void actorRefsResolveToTheSameActor() {
    TestProbe<String> probe = testKit.createTestProbe();
    var put = new TestTypes.Put("k", new byte[] {1, 2, 3}, probe.getRef());
    var back = assertInstanceOf(TestTypes.Put.class, roundTrip(put));
    assertArrayEquals(put.value(), back.value());
    back.replyTo().tell("reached");
    probe.expectMessage("reached");
  }

  @Test
  void messagesTravelSerializedBetweenActors() {
    TestProbe<TestTypes.SampleEvent> probe = testKit.createTestProbe();
    var event = new TestTypes.SampleEvent("e1", 5, List.of("t"));
    probe.getRef().tell(event);
    assertEquals(event, probe.receiveMessage());
  }

  @Test
  void unregisteredClassIsRefusedWithItsName() {
    var error =
        assertThrows(
            IllegalArgumentException.class,
            () -> serialization.serialize(new TestTypes.Unregistered("v")).get());
    assertTrue(error.getMessage().contains("Unregistered"), error.getMessage());
  }

  /**
   * The fixture holds the bytes of SampleEvent("order-17", 42, note = "legacy") written when the
   * record was (String id, long amount, String note): the removed field is skipped and the added
   * one reads as an empty list.
   */
  @Test
  void eventWrittenByAnOlderShapeStillReads() throws IOException {
    byte[] bytes;
    try (InputStream in = getClass().getResourceAsStream("/fixtures/sample-event-v1.bin")) {
      bytes = in.readAllBytes();
    }
    Object event = serialization.deserialize(bytes, KryoSerializer.IDENTIFIER, "").get();
    assertEquals(new TestTypes.SampleEvent("order-17", 42, List.of()), event);
  }

  /**
   * The fixture holds TracedPut("k-1") written before the record gained its trace component: it
   * reads with no trace, and a message carrying one round-trips with it.
   */
  @Test
  void messageWrittenBeforeItCarriedTraceContextStillReads() throws IOException {
    byte[] bytes;
    try (InputStream in = getClass().getResourceAsStream("/fixtures/traced-put-v1.bin")) {
      bytes = in.readAllBytes();
    }
    Object old = serialization.deserialize(bytes, KryoSerializer.IDENTIFIER, "").get();
    assertEquals(new TestTypes.TracedPut("k-1", null), old);
    var traced =
        new TestTypes.TracedPut(
            "k-2",
            new TraceContext("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "a=1"));
    assertEquals(traced, roundTrip(traced));
  }

  @Test
  void registryHoldsEveryModulesRegistrations() {
    var registry = SerializationRegistry.load();
    assertEquals(TestTypes.Put.class, registry.byId().get(9000));
    assertTrue(registry.isRegistered(TestTypes.SampleEvent.class));
  }
}
