package dev.cohort.kv.ap.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.TreeMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** AP buckets through Cohort's Kryo serializer: round trips, and the size the README promises. */
class ApSerializationTest {
  private static final ActorTestKit kit = ActorTestKit.create("ApSerializationTest",
      ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
  private static final Serialization serialization =
      SerializationExtension.get(Adapter.toClassic(kit.system()));

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static byte[] bytes(Object o) {
    return serialization.serialize(o).get();
  }

  private static Object back(Object o, byte[] bytes) {
    var serializer = serialization.findSerializerFor(o);
    return serialization.deserialize(bytes, serializer.identifier(),
        Serializers.manifestFor(serializer, o)).get();
  }

  @Test
  void bucketsAndEntriesRoundTripToEqualBytes() {
    for (Object sample : new ApRegistrations().samples()) {
      byte[] first = bytes(sample);
      Object again = back(sample, first);
      assertEquals(sample, again);
      assertArrayEquals(first, bytes(again));
    }
    ApBucket withDelta = ApBucket.EMPTY.put("k", new ApEntry(new byte[] {1}, 9, "n", 0, 0));
    assertEquals(withDelta, back(withDelta, bytes(withDelta)));
  }

  /**
   * One bucket of a keyspace of a million 16-byte keys with 100-byte values over the default 4096
   * buckets (about 245 keys) stays far below Artery's 256 KiB frame.
   */
  @Test
  void aBucketAtAMillionKeysStaysSmall() {
    TreeMap<String, ApEntry> entries = new TreeMap<>();
    long ts = HybridLogicalClock.pack(System.currentTimeMillis(), 0);
    for (int i = 0; i < 245; i++) {
      entries.put(String.format("key-%011d", i * 4096L),
          new ApEntry(new byte[100], ts + i, "pekko://cohort@10.0.0.12:2552", 0, 0));
    }
    int size = bytes(new ApBucket(entries, null)).length;
    System.out.println("AP bucket of 245 keys (16 B) with 100 B values: " + size + " bytes");
    assertTrue(size < 64 * 1024, "bucket is " + size + " bytes");
  }
}
