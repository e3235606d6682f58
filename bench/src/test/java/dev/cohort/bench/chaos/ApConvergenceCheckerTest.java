package dev.cohort.bench.chaos;

import static dev.cohort.bench.chaos.Ops.op;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ApConvergenceCheckerTest {
  private final List<Op> history =
      List.of(
          op(0, "a/0/0", "put", "v0-0", "quorum", 0, 10, Outcome.OK),
          op(0, "a/0/1", "put", "v0-1", "one", 0, 10, Outcome.OK),
          op(1, "a/1/0", "put", "v1-0", "quorum", 0, 10, Outcome.INDETERMINATE),
          op(1, "a/1/1", "put", "v1-1", "all", 0, 10, Outcome.FAIL));

  private static CheckResult verdict(List<Op> history, List<Map<String, String>> replicas) {
    return ApWorkload.verdict(history, replicas, Map.of());
  }

  @Test
  void identicalReplicasWithEveryAcknowledgedWriteAreValid() {
    Map<String, String> replica = Map.of("a/0/0", "v0-0", "a/0/1", "v0-1", "a/1/0", "v1-0");
    CheckResult r = verdict(history, List.of(replica, replica, replica));
    assertTrue(r.valid(), r.violations().toString());
    assertEquals("true", r.figures().get("converged"));
  }

  @Test
  void replicasThatDifferHaveDiverged() {
    Map<String, String> a = Map.of("a/0/0", "v0-0", "a/0/1", "v0-1", "a/1/0", "v1-0");
    Map<String, String> b = Map.of("a/0/0", "v0-0", "a/0/1", "v0-1");
    CheckResult r = verdict(history, List.of(a, a, b));
    assertFalse(r.valid());
    assertEquals("1", r.figures().get("diverged"));
  }

  @Test
  void aMissingQuorumWriteIsLostAndAMissingOneWriteIsCounted() {
    Map<String, String> noQuorum = Map.of("a/0/1", "v0-1");
    CheckResult lost = verdict(history, List.of(noQuorum, noQuorum, noQuorum));
    assertFalse(lost.valid());
    assertEquals("1", lost.figures().get("lost"));
    Map<String, String> noOne = Map.of("a/0/0", "v0-0");
    CheckResult lostOne = verdict(history, List.of(noOne, noOne, noOne));
    assertTrue(lostOne.valid(), lostOne.violations().toString());
    assertEquals("1", lostOne.figures().get("lost_one"));
  }

  @Test
  void aWriteRefusedDefinitelyMustNotAppear() {
    Map<String, String> replica = Map.of("a/0/0", "v0-0", "a/0/1", "v0-1", "a/1/1", "v1-1");
    CheckResult r = verdict(history, List.of(replica, replica, replica));
    assertFalse(r.valid());
    assertEquals("1", r.figures().get("failed_present"));
  }
}
