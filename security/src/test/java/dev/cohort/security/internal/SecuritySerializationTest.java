package dev.cohort.security.internal;

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
 * Every security class that crosses the wire or reaches the journal is registered in security's id
 * range and round-trips through Pekko serialization (replies to asks are not covered by
 * serialize-messages, so this is where they are proven).
 */
class SecuritySerializationTest {
  private static final ActorTestKit kit = ActorTestKit.create(ConfigFactory.load());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @Test
  void idsAreInKvsRangeAndUsedOnce() {
    Map<Integer, Class<?>> byId = new HashMap<>();
    new SecurityRegistrations()
        .register(
            (id, type) -> {
              assertTrue(id >= 6000 && id <= 6999, "security ids are 6000-6999: " + id);
              assertEquals(null, byId.put(id, type), "id used twice: " + id);
            });
  }

  @Test
  void everySerializableClassOfTheModuleIsRegisteredAndRoundTrips() throws Exception {
    SerializationCoverage coverage =
        new SerializationCoverage(
            SerializationExtension.get(kit.system().classicSystem()),
            kit.createTestProbe().getRef());
    List<Class<?>> security =
        SerializationCoverage.serializable(
            SerializationCoverage.classesUnder("dev.cohort.security"));
    assertTrue(security.size() > 30, "found only " + security.size() + " security classes");
    assertEquals(List.of(), coverage.failures(security));
  }
}
