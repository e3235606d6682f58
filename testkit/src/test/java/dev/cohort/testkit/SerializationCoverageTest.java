package dev.cohort.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cohort.persistence.KryoRegistrations;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The id check every module's serialization test relies on reports what it should. */
class SerializationCoverageTest {

  @Test
  void idsInsideTheRangeAndUsedOnceHaveNoProblems() {
    KryoRegistrations fine =
        registry -> {
          registry.add(7000, String.class);
          registry.add(7999, Integer.class);
        };
    assertEquals(List.of(), SerializationCoverage.idProblems(fine, 7000, 7999));
  }

  @Test
  void anIdOutsideTheRangeAndAnIdUsedTwiceAreReported() {
    KryoRegistrations broken =
        registry -> {
          registry.add(6999, String.class);
          registry.add(7001, Integer.class);
          registry.add(7001, Long.class);
        };
    assertEquals(
        List.of(
            "java.lang.String has id 6999, outside 7000-7999",
            "id 7001 used twice: java.lang.Integer, java.lang.Long"),
        SerializationCoverage.idProblems(broken, 7000, 7999));
  }
}
