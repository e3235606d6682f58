package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.persistence.CohortSerializable;
import dev.cohort.testkit.SerializationCoverage;
import java.util.List;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Every {@link CohortSerializable} type of every module, found by scanning the classpath, is
 * registered and round-trips through Pekko serialization, replies to {@code ask} included (which
 * {@code serialize-messages} does not cover). A protocol interface (Command, Event, Reply, State)
 * whose messages are neither serializable nor declared local fails here too.
 */
class SerializationCoverageTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create(
          ConfigFactory.parseString("pekko.actor.provider = local")
              .withFallback(ConfigFactory.load()));
  private static final SerializationCoverage coverage =
      new SerializationCoverage(
          SerializationExtension.get(testKit.system().classicSystem()),
          testKit.createTestProbe().getRef());

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyMarkedTypeIsRegisteredAndRoundTrips() throws Exception {
    List<Class<?>> serializable =
        SerializationCoverage.serializable(SerializationCoverage.classesUnder("dev.cohort"));
    assertTrue(serializable.size() >= 5, "found only " + serializable);
    assertEquals(List.of(), coverage.failures(serializable));
  }

  /**
   * Every message of an actor protocol is either serializable or declared local-only with {@link
   * NoSerializationVerificationNeeded}.
   */
  @Test
  void everyProtocolMessageIsSerializableOrDeclaredLocal() throws Exception {
    assertEquals(
        List.of(),
        SerializationCoverage.unmarkedProtocolMessages(
            SerializationCoverage.classesUnder("dev.cohort")));
  }
}
