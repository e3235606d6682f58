package dev.cohort.kv;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A Wing–Gong linearizability checker for one register (one key): searches for an order of the
 * operations that respects real time (an operation that completed before another was invoked comes
 * first) and in which every result matches a sequential register. States already explored (set of
 * linearized operations plus register value) are memoized, as in Lowe's refinement.
 *
 * <p>An operation whose outcome is unknown (it timed out) may take effect at any point after its
 * invocation, or never.
 */
final class LinearizabilityChecker {
  private LinearizabilityChecker() {}

  enum Kind {
    PUT,
    GET,
    CAS
  }

  /**
   * One operation as a client saw it.
   *
   * @param kind put, get or compare-and-swap
   * @param value put: the value written; cas: the new value
   * @param expected cas: the value compared with (null: key absent)
   * @param observed get: the value read (null: absent); cas: "true"/"false"
   * @param invoke when it was sent (nanos)
   * @param complete when its answer arrived (nanos), or {@link Long#MAX_VALUE} when unknown
   */
  record Op(Kind kind, String value, String expected, String observed, long invoke, long complete) {
    boolean unknown() {
      return complete == Long.MAX_VALUE;
    }
  }

  static boolean linearizable(List<Op> history) {
    List<Op> ops = new ArrayList<>();
    for (Op op : history) {
      if (!(op.unknown() && op.kind() == Kind.GET)) {
        ops.add(op);
      }
    }
    ops.sort(Comparator.comparingLong(Op::invoke));
    return search(ops, new BitSet(ops.size()), null, new HashSet<>());
  }

  private static boolean search(List<Op> ops, BitSet done, String state, Set<String> seen) {
    boolean allKnownDone = true;
    long earliestComplete = Long.MAX_VALUE;
    for (int i = 0; i < ops.size(); i++) {
      if (!done.get(i)) {
        earliestComplete = Math.min(earliestComplete, ops.get(i).complete());
        allKnownDone &= ops.get(i).unknown();
      }
    }
    if (allKnownDone) {
      return true;
    }
    if (!seen.add(done + "|" + state)) {
      return false;
    }
    for (int i = 0; i < ops.size(); i++) {
      Op op = ops.get(i);
      if (done.get(i) || op.invoke() > earliestComplete) {
        continue;
      }
      for (String next : outcomes(op, state)) {
        done.set(i);
        if (search(ops, done, next, seen)) {
          return true;
        }
        done.clear(i);
      }
    }
    return false;
  }

  /** The register values after {@code op} from {@code state}, when its result fits; else none. */
  private static List<String> outcomes(Op op, String state) {
    List<String> next = new ArrayList<>(1);
    switch (op.kind()) {
      case PUT -> next.add(op.value());
      case GET -> {
        if (Objects.equals(op.observed(), state)) {
          next.add(state);
        }
      }
      case CAS -> {
        boolean holds = Objects.equals(op.expected(), state);
        if (op.unknown() || Boolean.parseBoolean(op.observed()) == holds) {
          next.add(holds ? op.value() : state);
        }
      }
    }
    return next;
  }
}
