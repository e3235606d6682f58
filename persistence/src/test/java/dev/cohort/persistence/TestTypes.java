package dev.cohort.persistence;

import dev.cohort.observability.TraceContext;
import dev.cohort.observability.Traced;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;

/** Serializable shapes used by the persistence tests; registered in {@link TestRegistrations}. */
final class TestTypes {
  private TestTypes() {}

  sealed interface Command extends CohortSerializable {}

  record Put(String key, byte[] value, ActorRef<String> replyTo) implements Command {}

  enum Stop implements Command {
    INSTANCE
  }

  record Everything(
      String text,
      int small,
      long big,
      double ratio,
      boolean flag,
      UUID id,
      Instant at,
      Optional<String> maybe,
      List<String> list,
      Map<String, Long> map,
      Nested nested)
      implements CohortSerializable {}

  record Nested(List<Nested> children, String name) implements CohortSerializable {}

  /** The current shape of an event whose older shape was (String id, long amount, String note). */
  record SampleEvent(String id, long amount, List<String> tags) implements CohortSerializable {}

  /**
   * A command that gained a trace-context component after fixtures/traced-put-v1.bin was written.
   */
  record TracedPut(String key, TraceContext trace) implements Command, Traced {}

  record Unregistered(String value) implements CohortSerializable {}
}
