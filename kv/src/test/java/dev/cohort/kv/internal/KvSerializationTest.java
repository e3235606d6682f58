package dev.cohort.kv.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.testkit.SerializationCoverage;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Every kv class that crosses the wire or reaches the journal is registered in kv's id range and
 * round-trips through Pekko serialization (replies to asks are not covered by serialize-messages,
 * so this is where they are proven).
 */
class KvSerializationTest {
  private static final ActorTestKit kit = ActorTestKit.create(ConfigFactory.load());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @Test
  void idsAreInKvsRangeAndUsedOnce() {
    Map<Integer, Class<?>> byId = new HashMap<>();
    new KvRegistrations()
        .register(
            (id, type) -> {
              assertTrue(id >= 1000 && id <= 1999, "kv ids are 1000-1999: " + id);
              assertEquals(null, byId.put(id, type), "id used twice: " + id);
            });
  }

  @Test
  void everySerializableClassOfTheModuleIsRegisteredAndRoundTrips() throws Exception {
    SerializationCoverage coverage =
        new SerializationCoverage(
            SerializationExtension.get(kit.system().classicSystem()),
            kit.createTestProbe().getRef());
    List<Class<?>> kv =
        SerializationCoverage.serializable(SerializationCoverage.classesUnder("dev.cohort.kv"));
    assertTrue(kv.size() > 50, "found only " + kv.size() + " kv classes");
    assertEquals(List.of(), coverage.failures(kv));
  }
}
