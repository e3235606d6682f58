package dev.cohort.bench.chaos;

import static dev.cohort.bench.chaos.Ops.op;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StreamLogCheckerTest {
  /**
   * Producer 0 on partition 0, producer 1 on partition 1, two batches each; the last one unknown.
   */
  private final List<Op> history =
      List.of(
          op(0, "partition-0", "send", "p0-0,p0-1,p0-2", "seq=0", 0, 10, Outcome.OK),
          op(0, "partition-0", "send", "p0-3,p0-4,p0-5", "seq=3", 11, 20, Outcome.OK),
          op(1, "partition-1", "send", "p1-0,p1-1,p1-2", "seq=0", 0, 10, Outcome.OK),
          op(1, "partition-1", "send", "p1-3,p1-4,p1-5", "seq=3", 11, 20, Outcome.INDETERMINATE));

  private static CheckResult verdict(
      List<Op> history, Map<Integer, List<String>> log, boolean idempotent) {
    return StreamLogWorkload.verdict(history, log, Map.of(), idempotent, Map.of());
  }

  @Test
  void everyAcknowledgedRecordOnceInOrderIsValid() {
    CheckResult r =
        verdict(
            history,
            Map.of(
                0, List.of("p0-0", "p0-1", "p0-2", "p0-3", "p0-4", "p0-5"),
                1, List.of("p1-0", "p1-1", "p1-2")),
            true);
    assertTrue(r.valid(), r.violations().toString());
    assertEquals("0", r.figures().get("lost"));
    assertEquals("9", r.figures().get("acknowledged"));
  }

  @Test
  void aMissingAcknowledgedRecordIsLost() {
    CheckResult r =
        verdict(
            history,
            Map.of(
                0, List.of("p0-0", "p0-1", "p0-2", "p0-3", "p0-5"),
                1, List.of("p1-0", "p1-1", "p1-2", "p1-3", "p1-4", "p1-5")),
            true);
    assertFalse(r.valid());
    assertEquals("1", r.figures().get("lost"));
    assertTrue(r.violations().toString().contains("'p0-4'"), r.violations().toString());
  }

  @Test
  void duplicatesAreAViolationOnlyWithIdempotentProduce() {
    Map<Integer, List<String>> log =
        Map.of(
            0, List.of("p0-0", "p0-1", "p0-2", "p0-0", "p0-1", "p0-2", "p0-3", "p0-4", "p0-5"),
            1, List.of("p1-0", "p1-1", "p1-2"));
    CheckResult idempotent = verdict(history, log, true);
    assertFalse(idempotent.valid());
    assertEquals("3", idempotent.figures().get("duplicates"));
    CheckResult plain = verdict(history, log, false);
    assertTrue(plain.valid(), plain.violations().toString());
    assertEquals("3", plain.figures().get("duplicates"));
  }

  @Test
  void duplicatesOfABatchResentUnderANewEpochAreExcused() {
    List<Op> bumped = new ArrayList<>(history);
    bumped.set(
        0,
        op(0, "partition-0", "send", "p0-0,p0-1,p0-2", "resent-in-new-epoch", 0, 10, Outcome.OK));
    CheckResult r =
        verdict(
            bumped,
            Map.of(
                0, List.of("p0-0", "p0-1", "p0-2", "p0-0", "p0-1", "p0-2", "p0-3", "p0-4", "p0-5"),
                1, List.of("p1-0", "p1-1", "p1-2")),
            true);
    assertTrue(r.valid(), r.violations().toString());
    assertEquals("3", r.figures().get("duplicates_new_epoch"));
  }

  @Test
  void recordsOutOfSendOrderAreReordered() {
    CheckResult r =
        verdict(
            history,
            Map.of(
                0, List.of("p0-3", "p0-4", "p0-5", "p0-0", "p0-1", "p0-2"),
                1, List.of("p1-0", "p1-1", "p1-2")),
            false);
    assertFalse(r.valid());
    assertEquals("3", r.figures().get("reordered"));
  }

  @Test
  void aRecordInTheWrongPartitionOrFromNowhereIsAViolation() {
    CheckResult misplaced =
        verdict(
            history,
            Map.of(
                0, List.of("p0-0", "p0-1", "p0-2", "p0-3", "p0-4", "p0-5"),
                1, List.of("p1-0", "p1-1", "p1-2", "p0-1")),
            false);
    assertFalse(misplaced.valid());
    assertEquals("1", misplaced.figures().get("misplaced"));
    CheckResult unknown =
        verdict(
            history,
            Map.of(
                0, List.of("p0-0", "p0-1", "p0-2", "p0-3", "p0-4", "p0-5", "p9-0"),
                1, List.of("p1-0", "p1-1", "p1-2")),
            false);
    assertFalse(unknown.valid());
    assertEquals("1", unknown.figures().get("unknown"));
  }
}
