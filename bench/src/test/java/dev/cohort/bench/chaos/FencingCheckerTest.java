package dev.cohort.bench.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FencingCheckerTest {
  private static Op fenced(int client, long token, boolean succeeded, long invoke, long complete) {
    return new Op(
        client,
        "chaos_lock",
        "fenced-write",
        token + ":" + client,
        Long.toString(token),
        Boolean.toString(succeeded),
        invoke,
        complete,
        Outcome.OK);
  }

  @Test
  void holdersOneAfterAnotherWithGrowingTokensAreValid() {
    List<Op> history =
        List.of(
            fenced(1, 10, true, 0, 10),
            fenced(1, 10, true, 11, 20),
            fenced(2, 12, true, 30, 40),
            fenced(1, 10, false, 41, 50), // the old holder is refused: fencing worked
            fenced(3, 15, true, 60, 70));
    CheckResult r = LocksWorkload.verdict(history, 15);
    assertTrue(r.valid(), r.violations().toString());
    assertEquals("3", r.figures().get("holders"));
    assertEquals("1", r.figures().get("fenced_refused"));
  }

  @Test
  void aLowerTokenAcceptedAfterAHigherOneIsAViolation() {
    List<Op> history = List.of(fenced(2, 12, true, 0, 10), fenced(1, 10, true, 20, 30));
    CheckResult r = LocksWorkload.verdict(history, 10);
    assertFalse(r.valid());
    assertEquals("1", r.figures().get("tokens_decreasing"));
  }

  @Test
  void twoHoldersWritingInTurnsAreInterleaved() {
    List<Op> history =
        List.of(
            fenced(1, 10, true, 0, 10), fenced(2, 12, true, 20, 30), fenced(1, 10, true, 40, 50));
    List<String> violations = new ArrayList<>();
    FencingChecker.Counts c = FencingChecker.check(history, 12, violations);
    assertEquals(1, c.interleaved(), violations.toString());
    assertEquals(1, c.tokensDecreasing());
  }

  @Test
  void aFinalValueBelowTheLastAcknowledgedTokenIsLostUnlessAnUnknownWriteExplainsIt() {
    List<Op> history =
        new ArrayList<>(List.of(fenced(1, 10, true, 0, 10), fenced(2, 12, true, 20, 30)));
    assertEquals("1", LocksWorkload.verdict(history, 10).figures().get("lost"));
    // An acknowledged write can be overwritten only by a later holder's write, never by an older.
    history.add(
        new Op(
            3,
            "chaos_lock",
            "fenced-write",
            "14:3",
            "14",
            "timeout",
            31,
            Long.MAX_VALUE,
            Outcome.INDETERMINATE));
    assertEquals("0", LocksWorkload.verdict(history, 14).figures().get("lost"));
  }
}
