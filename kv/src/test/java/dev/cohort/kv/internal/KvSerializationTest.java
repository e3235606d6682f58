package dev.cohort.kv.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import dev.cohort.testkit.SerializationCoverage;
import java.util.List;
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
    assertEquals(List.of(), SerializationCoverage.idProblems(new KvRegistrations(), 1000, 1999));
  }

  @Test
  void everySerializableClassOfTheModuleIsRegisteredAndRoundTrips() throws Exception {
    SerializationCoverage coverage =
        new SerializationCoverage(
            SerializationExtension.get(kit.system().classicSystem()),
            kit.createTestProbe().getRef());
    assertEquals(List.of(), coverage.failuresUnder("dev.cohort.kv", 50));
  }
}
