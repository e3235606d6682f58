package dev.cohort.bench.chaos;

import static dev.cohort.bench.chaos.Ops.op;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UniquePutCheckerTest {
  private final List<Op> history =
      List.of(
          op(0, "u/0/0", "put", "v0-0", null, 0, 10, Outcome.OK),
          op(0, "u/0/1", "put", "v0-1", null, 11, 20, Outcome.INDETERMINATE),
          op(1, "u/1/0", "put", "v1-0", null, 0, 10, Outcome.OK),
          op(1, "u/1/1", "put", "v1-1", null, 11, 20, Outcome.FAIL));

  @Test
  void everyAcknowledgedPutPresentIsValidWhateverHappenedToIndeterminateOnes() {
    CheckResult withIt =
        UniquePutWorkload.verdict(
            history, Map.of("u/0/0", "v0-0", "u/1/0", "v1-0", "u/0/1", "v0-1"));
    assertTrue(withIt.valid(), withIt.violations().toString());
    assertEquals("1", withIt.figures().get("indeterminate_present"));
    CheckResult withoutIt =
        UniquePutWorkload.verdict(history, Map.of("u/0/0", "v0-0", "u/1/0", "v1-0"));
    assertTrue(withoutIt.valid());
    assertEquals(4, withoutIt.ops());
    assertEquals(2, withoutIt.ok());
    assertEquals(1, withoutIt.failed());
    assertEquals(1, withoutIt.indeterminate());
  }

  @Test
  void aMissingAcknowledgedPutIsLost() {
    CheckResult r = UniquePutWorkload.verdict(history, Map.of("u/0/0", "v0-0"));
    assertFalse(r.valid());
    assertEquals("1", r.figures().get("lost"));
    assertTrue(r.violations().get(0).contains("u/1/0"), r.violations().toString());
  }

  @Test
  void aWrongValueOrAPutThatFailedDefinitelyButIsThereAreViolations() {
    CheckResult wrong =
        UniquePutWorkload.verdict(history, Map.of("u/0/0", "v0-0", "u/1/0", "other"));
    assertFalse(wrong.valid());
    assertEquals("1", wrong.figures().get("wrong_value"));
    CheckResult failedPresent =
        UniquePutWorkload.verdict(
            history, Map.of("u/0/0", "v0-0", "u/1/0", "v1-0", "u/1/1", "v1-1"));
    assertFalse(failedPresent.valid());
    assertEquals("1", failedPresent.figures().get("failed_present"));
  }
}
