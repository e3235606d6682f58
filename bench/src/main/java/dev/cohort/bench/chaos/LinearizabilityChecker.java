package dev.cohort.bench.chaos;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * A Wing–Gong linearizability checker for registers, one key at a time, with Lowe's memoization of
 * explored configurations (the set of linearized operations plus the register's value).
 *
 * <p>Operations ({@link Op#f()}): {@code read} (observed: the value, null when absent), {@code
 * write} (value) and {@code cas} (expected: the value compared with, null for "absent"; value: the
 * new value; observed: {@code true}/{@code false}). Every key starts absent.
 *
 * <ul>
 *   <li>OK operations take effect at one instant between invocation and completion.
 *   <li>INDETERMINATE writes and cas may take effect at any instant after invocation, or never; an
 *       indeterminate cas is judged by whether its comparison holds at that instant.
 *   <li>INDETERMINATE reads and FAILed operations are dropped (a FAIL is a definite "not applied").
 * </ul>
 *
 * <p>Each pending indeterminate operation doubles the configurations to explore, so a search is
 * bounded by {@code maxStates}; past it the verdict is UNKNOWN, not a violation. Workloads keep a
 * key's history short (they rotate keys) so that the bound is rarely met.
 */
public final class LinearizabilityChecker {
  public enum Verdict {
    LINEARIZABLE,
    NOT_LINEARIZABLE,
    UNKNOWN
  }

  /**
   * @param statesExplored configurations visited
   * @param detail for a violation: how far the best linearization got and which operations could
   *     not be placed next
   */
  public record Result(String key, Verdict verdict, int ops, long statesExplored, String detail) {}

  private LinearizabilityChecker() {}

  /** Checks every key of {@code history} separately; ops of other kinds are ignored. */
  public static Map<String, Result> checkAll(List<Op> history, long maxStatesPerKey) {
    Map<String, List<Op>> byKey = new TreeMap<>();
    for (Op op : history) {
      if (op.f().equals("read") || op.f().equals("write") || op.f().equals("cas")) {
        byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
      }
    }
    Map<String, Result> results = new TreeMap<>();
    byKey.forEach((key, ops) -> results.put(key, check(key, ops, maxStatesPerKey)));
    return results;
  }

  /** Checks one key's history. */
  public static Result check(String key, List<Op> keyHistory, long maxStates) {
    List<Op> ops = new ArrayList<>();
    for (Op op : keyHistory) {
      boolean dropped = op.outcome() == Outcome.FAIL || op.indeterminate() && op.f().equals("read");
      if (!dropped) {
        ops.add(op);
      }
    }
    ops.sort(Comparator.comparingLong(Op::invokeNanos));
    Search search = new Search(ops, maxStates);
    boolean found;
    try {
      found = search.run(new BitSet(ops.size()), null);
    } catch (BudgetExceeded e) {
      return new Result(
          key,
          Verdict.UNKNOWN,
          ops.size(),
          search.states,
          "search stopped after " + maxStates + " configurations");
    }
    if (found) {
      return new Result(key, Verdict.LINEARIZABLE, ops.size(), search.states, "");
    }
    return new Result(key, Verdict.NOT_LINEARIZABLE, ops.size(), search.states, search.explain());
  }

  private static final class BudgetExceeded extends RuntimeException {
    BudgetExceeded() {
      super(null, null, false, false);
    }
  }

  private record Config(BitSet done, String value) {}

  private static final class Search {
    private final List<Op> ops;
    private final long maxStates;
    private final Set<Config> seen = new HashSet<>();
    private long states;
    private int deepest = -1;
    private BitSet deepestDone = new BitSet();
    private String deepestValue;

    Search(List<Op> ops, long maxStates) {
      this.ops = ops;
      this.maxStates = maxStates;
    }

    boolean run(BitSet done, String value) {
      long earliestComplete = Long.MAX_VALUE;
      boolean onlyIndeterminateLeft = true;
      for (int i = done.nextClearBit(0); i < ops.size(); i = done.nextClearBit(i + 1)) {
        Op op = ops.get(i);
        earliestComplete = Math.min(earliestComplete, op.completeNanos());
        onlyIndeterminateLeft &= op.indeterminate();
      }
      if (onlyIndeterminateLeft) {
        return true; // the rest may never have taken effect
      }
      if (!seen.add(new Config((BitSet) done.clone(), value))) {
        return false;
      }
      if (++states > maxStates) {
        throw new BudgetExceeded();
      }
      int depth = done.cardinality();
      if (depth > deepest) {
        deepest = depth;
        deepestDone = (BitSet) done.clone();
        deepestValue = value;
      }
      // Candidates: every pending op invoked before the earliest pending completion (an op that
      // completed before another was invoked must be linearized first).
      for (int i = done.nextClearBit(0); i < ops.size(); i = done.nextClearBit(i + 1)) {
        Op op = ops.get(i);
        if (op.invokeNanos() > earliestComplete) {
          break; // sorted by invocation: the rest start later still
        }
        Step step = apply(op, value);
        if (step.fits()) {
          done.set(i);
          boolean found = run(done, step.next());
          done.clear(i);
          if (found) {
            return true;
          }
        }
      }
      return false;
    }

    String explain() {
      List<String> pending = new ArrayList<>();
      long earliest = Long.MAX_VALUE;
      for (int i = deepestDone.nextClearBit(0);
          i < ops.size();
          i = deepestDone.nextClearBit(i + 1)) {
        earliest = Math.min(earliest, ops.get(i).completeNanos());
      }
      for (int i = deepestDone.nextClearBit(0);
          i < ops.size() && pending.size() < 4;
          i = deepestDone.nextClearBit(i + 1)) {
        Op op = ops.get(i);
        if (op.invokeNanos() <= earliest && !op.indeterminate()) {
          pending.add(describe(op));
        }
      }
      return "linearized "
          + Math.max(0, deepest)
          + " of "
          + ops.size()
          + " ops; then the register held "
          + (deepestValue == null ? "nothing" : "'" + deepestValue + "'")
          + " and none of these fits: "
          + String.join("; ", pending);
    }
  }

  private record Step(boolean fits, String next) {}

  private static final Step NO = new Step(false, null);

  /** The register after {@code op} from {@code value}, when {@code op}'s result fits. */
  private static Step apply(Op op, String value) {
    return switch (op.f()) {
      case "write" -> new Step(true, op.value());
      case "read" -> Objects.equals(op.observed(), value) ? new Step(true, value) : NO;
      case "cas" -> {
        boolean holds = Objects.equals(op.expected(), value);
        if (op.indeterminate() || Boolean.parseBoolean(op.observed()) == holds) {
          yield new Step(true, holds ? op.value() : value);
        }
        yield NO;
      }
      default -> throw new IllegalArgumentException("not a register operation: " + op.f());
    };
  }

  static String describe(Op op) {
    String what =
        switch (op.f()) {
          case "read" ->
              "read -> " + (op.observed() == null ? "absent" : "'" + op.observed() + "'");
          case "write" -> "write '" + op.value() + "'";
          case "cas" ->
              "cas "
                  + (op.expected() == null ? "absent" : "'" + op.expected() + "'")
                  + " -> '"
                  + op.value()
                  + "' = "
                  + op.observed();
          default -> op.f();
        };
    return "client " + op.client() + " " + what + " [" + op.outcome() + "]";
  }
}
