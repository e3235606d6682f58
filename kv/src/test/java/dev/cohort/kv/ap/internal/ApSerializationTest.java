package dev.cohort.kv.ap.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The replica protocol and the legacy bucket through Cohort's Kryo serializer. */
class ApSerializationTest {
  private static final ActorTestKit kit =
      ActorTestKit.create(
          "ApSerializationTest",
          ConfigFactory.parseString("pekko.actor.provider = local")
              .withFallback(ConfigFactory.load()));
  private static final Serialization serialization =
      SerializationExtension.get(Adapter.toClassic(kit.system()));

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static Object roundTrip(Object o) {
    byte[] bytes = serialization.serialize(o).get();
    var serializer = serialization.findSerializerFor(o);
    return serialization
        .deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, o))
        .get();
  }

  @Test
  void samplesRoundTripToEqualBytes() {
    for (Object sample : new ApRegistrations().samples()) {
      byte[] first = serialization.serialize(sample).get();
      Object again = roundTrip(sample);
      assertEquals(sample, again);
      assertArrayEquals(first, serialization.serialize(again).get());
    }
  }

  @Test
  void replicaMessagesRoundTrip() {
    ActorRef<Object> ref = kit.createTestProbe().ref();
    ApEntry e = new ApEntry(new byte[] {1, 2}, 77, "pekko://cohort@127.0.0.1:2552", 0, 0);
    ApEntry tomb = new ApEntry(null, 78, "w", 0, 1);
    List<Object> messages =
        List.of(
            new ApReplica.Write("ks", 1, "k", e, ref.narrow()),
            new ApReplica.WriteAck("n", null, tomb),
            new ApReplica.WriteMany("ks", 1, List.of(new ApReplica.KeyEntry("k", e)), ref.narrow()),
            new ApReplica.Read("ks", 1, "k", true, ref.narrow()),
            new ApReplica.ReadReply("n", ApReplica.digestOf(e), true),
            new ApReplica.Scan("ks", 1, "p/", false, -3L, 10, ref.narrow()),
            new ApReplica.ScanReply("n", List.of(new ApReplica.KeyEntry("k", tomb)), true, 5L),
            new ApReplica.Tree("ks", 1, 4L, -4L, 64, ref.narrow()),
            new ApReplica.Fetch("ks", 1, 4L, 9L, ref.narrow()),
            new ApReplica.Drop("ks", 1, ref.narrow()),
            new ApReplica.CatalogPut(Map.of("ks:1", 3), Map.of("pekko://c@h:1", 5L), null));
    for (Object m : messages) {
      assertEquals(m.toString(), roundTrip(m).toString());
    }
    long[] leaves = {1, -2, 3};
    assertArrayEquals(
        leaves, ((ApReplica.TreeReply) roundTrip(new ApReplica.TreeReply("n", leaves))).leaves());
  }
}
