package dev.cohort.bench.chaos;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks fenced writes made under a lock: {@code fenced-write} ops whose {@code expected} is the
 * writer's fencing token and whose {@code observed} is {@code true} when the transaction's guard
 * (the holder's lock key still exists with that create revision) held.
 *
 * <ul>
 *   <li>{@code tokens_decreasing}: a successful fenced write invoked after another successful one
 *       completed, with a lower token (tokens only grow from holder to holder);
 *   <li>{@code interleaved}: a holder's successful writes with another holder's successful write in
 *       between in real time (two holders at once);
 *   <li>{@code lost}: the fenced key's final token below the highest token of an acknowledged
 *       successful write, and no indeterminate write that could explain it.
 * </ul>
 */
public final class FencingChecker {
  private FencingChecker() {}

  public record Counts(
      long writes, long holders, long tokensDecreasing, long interleaved, long lost) {}

  /**
   * @param finalToken the token of the fenced key's final value, or -1 when it is absent
   */
  public static Counts check(List<Op> history, long finalToken, List<String> violations) {
    List<Op> writes = new ArrayList<>();
    long maxIndeterminate = -1;
    for (Op op : history) {
      if (!op.f().equals("fenced-write")) {
        continue;
      }
      if (op.ok() && "true".equals(op.observed())) {
        writes.add(op);
      } else if (op.indeterminate()) {
        maxIndeterminate = Math.max(maxIndeterminate, Long.parseLong(op.expected()));
      }
    }
    List<Op> byComplete = new ArrayList<>(writes);
    byComplete.sort(Comparator.comparingLong(Op::completeNanos));
    List<Op> byInvoke = new ArrayList<>(writes);
    byInvoke.sort(Comparator.comparingLong(Op::invokeNanos));
    long decreasing = 0;
    long highest = -1;
    int next = 0;
    for (Op w : byInvoke) {
      while (next < byComplete.size() && byComplete.get(next).completeNanos() < w.invokeNanos()) {
        highest = Math.max(highest, token(byComplete.get(next)));
        next++;
      }
      if (token(w) < highest) {
        decreasing++;
        violations.add(
            "tokens_decreasing: client "
                + w.client()
                + " wrote with token "
                + token(w)
                + " after a write with token "
                + highest
                + " had been acknowledged");
      }
    }
    Map<Long, List<Op>> byToken = new TreeMap<>();
    writes.forEach(w -> byToken.computeIfAbsent(token(w), t -> new ArrayList<>()).add(w));
    long interleaved = 0;
    for (Map.Entry<Long, List<Op>> holder : byToken.entrySet()) {
      long firstComplete =
          holder.getValue().stream().mapToLong(Op::completeNanos).min().orElseThrow();
      long lastInvoke = holder.getValue().stream().mapToLong(Op::invokeNanos).max().orElseThrow();
      for (Op other : writes) {
        if (token(other) != holder.getKey()
            && other.invokeNanos() > firstComplete
            && other.completeNanos() < lastInvoke) {
          interleaved++;
          violations.add(
              "interleaved: the holder with token "
                  + holder.getKey()
                  + " wrote before and after"
                  + " a write by the holder with token "
                  + token(other));
          break;
        }
      }
    }
    long highestAcked = writes.stream().mapToLong(FencingChecker::token).max().orElse(-1);
    long lost = 0;
    if (finalToken < highestAcked && maxIndeterminate < highestAcked) {
      lost = 1;
      violations.add(
          "lost: the fenced key ends with token "
              + finalToken
              + " below the acknowledged "
              + highestAcked);
    }
    return new Counts(writes.size(), byToken.size(), decreasing, interleaved, lost);
  }

  private static long token(Op op) {
    return Long.parseLong(op.expected());
  }
}
