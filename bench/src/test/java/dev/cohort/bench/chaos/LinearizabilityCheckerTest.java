package dev.cohort.bench.chaos;

import static dev.cohort.bench.chaos.Ops.cas;
import static dev.cohort.bench.chaos.Ops.casUnknown;
import static dev.cohort.bench.chaos.Ops.read;
import static dev.cohort.bench.chaos.Ops.write;
import static dev.cohort.bench.chaos.Ops.writeFailed;
import static dev.cohort.bench.chaos.Ops.writeUnknown;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.bench.chaos.LinearizabilityChecker.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {
  private static Verdict verdict(Op... ops) {
    return LinearizabilityChecker.check("k", List.of(ops), 1_000_000).verdict();
  }

  @Test
  void concurrentWritesAndReadsThatFitAnOrderPass() {
    // w(a) and w(b) overlap; reads see b then b: order a, b.
    assertEquals(
        Verdict.LINEARIZABLE,
        verdict(
            write(1, "k", "a", 0, 10),
            write(2, "k", "b", 5, 15),
            read(3, "k", "b", 12, 20),
            read(1, "k", "b", 21, 25)));
    // Overlapping writes may take effect in either order: b then a.
    assertEquals(
        Verdict.LINEARIZABLE,
        verdict(write(1, "k", "a", 0, 10), write(2, "k", "b", 5, 15), read(3, "k", "a", 16, 20)));
  }

  @Test
  void aStaleReadIsNotLinearizable() {
    LinearizabilityChecker.Result r =
        LinearizabilityChecker.check(
            "k",
            List.of(
                write(1, "k", "a", 0, 10), write(1, "k", "b", 11, 20), read(2, "k", "a", 21, 30)),
            1_000_000);
    assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict());
    assertTrue(r.detail().contains("read -> 'a'"), r.detail());
  }

  @Test
  void aLostAcknowledgedWriteIsNotLinearizable() {
    assertEquals(
        Verdict.NOT_LINEARIZABLE, verdict(write(1, "k", "a", 0, 10), read(2, "k", null, 11, 12)));
  }

  @Test
  void aReadOfAValueNobodyWroteIsNotLinearizable() {
    assertEquals(Verdict.NOT_LINEARIZABLE, verdict(read(1, "k", "ghost", 0, 1)));
  }

  @Test
  void anIndeterminateWriteMayTakeEffectLateOrNever() {
    // Seen long after its invocation: fine.
    assertEquals(
        Verdict.LINEARIZABLE,
        verdict(
            writeUnknown(1, "k", "x", 0), read(2, "k", null, 10, 20), read(2, "k", "x", 100, 110)));
    // Never seen: fine.
    assertEquals(
        Verdict.LINEARIZABLE, verdict(writeUnknown(1, "k", "x", 0), read(2, "k", null, 100, 110)));
    // But not before it was invoked.
    assertEquals(
        Verdict.NOT_LINEARIZABLE, verdict(read(2, "k", "x", 0, 5), writeUnknown(1, "k", "x", 10)));
    // And once seen and then overwritten, it cannot come back.
    assertEquals(
        Verdict.NOT_LINEARIZABLE,
        verdict(
            writeUnknown(1, "k", "x", 0),
            read(2, "k", "x", 10, 20),
            write(2, "k", "y", 21, 30),
            read(2, "k", "x", 31, 40)));
  }

  @Test
  void aDefinitelyFailedWriteMustNotBeSeen() {
    assertEquals(
        Verdict.NOT_LINEARIZABLE,
        verdict(writeFailed(1, "k", "x", 0, 10), read(2, "k", "x", 11, 20)));
  }

  @Test
  void compareAndSwapFollowsTheRegister() {
    assertEquals(
        Verdict.LINEARIZABLE,
        verdict(
            cas(1, "k", null, "a", true, 0, 10),
            cas(2, "k", null, "b", false, 11, 20),
            cas(2, "k", "a", "b", true, 21, 30),
            read(1, "k", "b", 31, 40)));
    // Two cas from the same value cannot both succeed.
    assertEquals(
        Verdict.NOT_LINEARIZABLE,
        verdict(
            write(1, "k", "a", 0, 10),
            cas(1, "k", "a", "b", true, 11, 30),
            cas(2, "k", "a", "c", true, 12, 31)));
    // An indeterminate cas may explain a value, only if its comparison held.
    assertEquals(
        Verdict.LINEARIZABLE,
        verdict(
            write(1, "k", "a", 0, 10),
            casUnknown(2, "k", "a", "b", 11),
            read(1, "k", "b", 50, 60)));
    assertEquals(
        Verdict.NOT_LINEARIZABLE,
        verdict(
            write(1, "k", "a", 0, 10),
            casUnknown(2, "k", "z", "b", 11),
            read(1, "k", "b", 50, 60)));
  }

  @Test
  void aSimulatedAtomicRegisterPassesAndACorruptedOneFails() {
    // Seeded simulation: each op takes effect at a random instant inside its interval, some
    // answers are lost (indeterminate); the history is linearizable by construction.
    Random random = new Random(42);
    List<Op> history = simulate(random, 150);
    assertEquals(
        Verdict.LINEARIZABLE, LinearizabilityChecker.check("k", history, 2_000_000).verdict());
    // Corrupt one read late in the history to a value overwritten long before.
    List<Op> corrupted = new ArrayList<>(history);
    for (int i = corrupted.size() - 1; i >= 0; i--) {
      Op op = corrupted.get(i);
      if (op.f().equals("read") && op.ok() && op.observed() != null) {
        corrupted.set(
            i,
            new Op(
                op.client(),
                op.key(),
                "read",
                null,
                null,
                "v0",
                op.invokeNanos(),
                op.completeNanos(),
                Outcome.OK));
        break;
      }
    }
    assertEquals(
        Verdict.NOT_LINEARIZABLE,
        LinearizabilityChecker.check("k", corrupted, 2_000_000).verdict());
  }

  @Test
  void aSearchPastItsBudgetIsUnknownNotAViolation() {
    List<Op> history = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      history.add(writeUnknown(i, "k", "x" + i, i));
    }
    history.add(write(99, "k", "y", 100, 110));
    history.add(read(99, "k", "nobody-wrote-this", 200, 210));
    LinearizabilityChecker.Result r = LinearizabilityChecker.check("k", history, 1_000);
    assertEquals(Verdict.UNKNOWN, r.verdict());
  }

  @Test
  void checkAllSplitsByKeyAndReportsTheBadOne() {
    List<Op> history =
        List.of(
            write(1, "a", "1", 0, 10), read(2, "a", "1", 11, 20),
            write(1, "b", "1", 0, 10), read(2, "b", null, 11, 20));
    CheckResult result = KvRegisterWorkload.verdict(history, 100_000);
    assertFalse(result.valid());
    assertEquals("false", result.figures().get("linearizable"));
    assertEquals(1, result.violations().size());
    assertTrue(result.violations().get(0).startsWith("key b "), result.violations().get(0));
    assertTrue(KvRegisterWorkload.verdict(history.subList(0, 2), 100_000).valid());
  }

  /** Ops of 5 clients on one atomic register; 5% of writes lose their answer. */
  static List<Op> simulate(Random random, int count) {
    record Pending(Op op, long effect) {}
    String value = null;
    List<Pending> planned = new ArrayList<>();
    long[] free = new long[5];
    for (int i = 0; i < count; i++) {
      int client = random.nextInt(5);
      long invoke = free[client] + random.nextInt(20);
      long effect = invoke + 1 + random.nextInt(30);
      long complete = effect + 1 + random.nextInt(30);
      free[client] = complete;
      int dice = random.nextInt(3);
      String f = dice == 0 ? "read" : dice == 1 ? "write" : "cas";
      planned.add(
          new Pending(
              new Op(client, "k", f, "v" + i, null, null, invoke, complete, Outcome.OK), effect));
    }
    planned.sort(java.util.Comparator.comparingLong(Pending::effect));
    List<Op> history = new ArrayList<>();
    for (Pending p : planned) {
      Op op = p.op();
      switch (op.f()) {
        case "read" ->
            history.add(
                new Op(
                    op.client(),
                    "k",
                    "read",
                    null,
                    null,
                    value,
                    op.invokeNanos(),
                    op.completeNanos(),
                    Outcome.OK));
        case "write" -> {
          value = op.value();
          boolean lost = random.nextInt(20) == 0;
          history.add(
              new Op(
                  op.client(),
                  "k",
                  "write",
                  op.value(),
                  null,
                  null,
                  op.invokeNanos(),
                  lost ? Long.MAX_VALUE : op.completeNanos(),
                  lost ? Outcome.INDETERMINATE : Outcome.OK));
        }
        default -> {
          String expected = random.nextBoolean() ? value : "v-unlikely";
          boolean holds = java.util.Objects.equals(expected, value);
          if (holds) {
            value = op.value();
          }
          history.add(
              new Op(
                  op.client(),
                  "k",
                  "cas",
                  op.value(),
                  expected,
                  Boolean.toString(holds),
                  op.invokeNanos(),
                  op.completeNanos(),
                  Outcome.OK));
        }
      }
    }
    return history;
  }
}
