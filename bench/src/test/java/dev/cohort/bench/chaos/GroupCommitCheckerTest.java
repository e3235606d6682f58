package dev.cohort.bench.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GroupCommitCheckerTest {
  private static Op poll(String member, int partition, String offsets, long invoke, long complete) {
    return new Op(
        1000,
        "partition-" + partition,
        "poll",
        offsets,
        member,
        null,
        invoke,
        complete,
        Outcome.OK);
  }

  private static Op commit(String member, int partition, long offset, long invoke, long complete) {
    return new Op(
        1000,
        "partition-" + partition,
        "commit",
        Long.toString(offset),
        member,
        null,
        invoke,
        complete,
        Outcome.OK);
  }

  private static GroupCommitChecker.Counts check(
      List<Op> history, Map<Integer, Long> last, List<String> violations) {
    return GroupCommitChecker.check(history, last, violations);
  }

  /** m1 reads 0..2 and 3..4 of partition 0 and commits after each; m2 takes over and reads 5..6. */
  private static List<Op> handOver() {
    return new ArrayList<>(
        List.of(
            poll("m1", 0, "0,1,2", 0, 10), commit("m1", 0, 3, 11, 20),
            poll("m1", 0, "3,4", 21, 30), commit("m1", 0, 5, 31, 40),
            poll("m2", 0, "5,6", 41, 50), commit("m2", 0, 7, 51, 60)));
  }

  @Test
  void commitsThatAdvanceOverReceivedRecordsAreValid() {
    List<String> violations = new ArrayList<>();
    GroupCommitChecker.Counts c = check(handOver(), Map.of(0, 7L), violations);
    assertEquals(new GroupCommitChecker.Counts(0, 0), c, violations.toString());
  }

  @Test
  void aCommitBelowAnEarlierAcknowledgedOneMovesBackwards() {
    List<Op> history = handOver();
    history.add(commit("m1", 0, 4, 61, 70));
    List<String> violations = new ArrayList<>();
    GroupCommitChecker.Counts c = check(history, Map.of(), violations);
    assertEquals(1, c.commitsBackwards(), violations.toString());
    // The group's final offset below the highest acknowledged commit is the same fault.
    List<String> more = new ArrayList<>();
    assertEquals(1, check(handOver(), Map.of(0, 5L), more).commitsBackwards(), more.toString());
  }

  @Test
  void concurrentCommitsMayLandInEitherOrder() {
    List<Op> history =
        new ArrayList<>(
            List.of(
                poll("m1", 0, "0,1,2", 0, 10), poll("m2", 0, "0,1,2,3", 0, 10),
                commit("m1", 0, 3, 11, 30), commit("m2", 0, 4, 12, 25)));
    List<String> violations = new ArrayList<>();
    assertEquals(0, check(history, Map.of(), violations).commitsBackwards(), violations.toString());
  }

  @Test
  void aCommitOverRecordsNobodyReceivedIsASkip() {
    List<Op> history =
        new ArrayList<>(
            List.of(
                poll("m1", 0, "0,1,2", 0, 10), commit("m1", 0, 3, 11, 20),
                poll("m1", 0, "5,6", 21, 30), commit("m1", 0, 7, 31, 40)));
    List<String> violations = new ArrayList<>();
    GroupCommitChecker.Counts c = check(history, Map.of(), violations);
    assertTrue(c.skipped() >= 2, violations.toString());
    assertFalse(violations.isEmpty());
  }
}
