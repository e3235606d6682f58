package dev.cohort.bench.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Checks AP replicas after healing. Writes are {@code put} ops of unique keys; {@code expected}
 * holds the consistency level the write asked for.
 *
 * <ul>
 *   <li>{@code diverged}: keys whose value differs between nodes' replicas (read at {@code one} on
 *       each node after the convergence deadline);
 *   <li>{@code lost}: keys acknowledged at {@code quorum} or {@code all} that are absent or hold
 *       another value on some replica;
 *   <li>{@code lost_one}: the same for writes acknowledged at {@code one} (each was on that node's
 *       disk before the answer, so it should survive too, but the workload's promise is about
 *       quorum and all);
 *   <li>{@code failed_present}: a write refused with a definite error (4xx) that is present.
 * </ul>
 */
public final class ApConvergenceChecker {
  private ApConvergenceChecker() {}

  public record Counts(long diverged, long lost, long lostOne, long failedPresent) {}

  /**
   * @param replicas each node's replica: key to value, in node order
   */
  public static Counts check(
      List<Op> history, List<Map<String, String>> replicas, List<String> violations) {
    long diverged = 0;
    TreeSet<String> keys = new TreeSet<>();
    replicas.forEach(r -> keys.addAll(r.keySet()));
    for (String key : keys) {
      String first = replicas.get(0).get(key);
      for (int n = 1; n < replicas.size(); n++) {
        if (!Objects.equals(first, replicas.get(n).get(key))) {
          diverged++;
          if (diverged <= 20) {
            List<String> values = new ArrayList<>();
            replicas.forEach(r -> values.add(String.valueOf(r.get(key))));
            violations.add("diverged: key " + key + " has values " + values + " on the nodes");
          }
          break;
        }
      }
    }
    long lost = 0;
    long lostOne = 0;
    long failedPresent = 0;
    for (Op op : history) {
      if (!op.f().equals("put")) {
        continue;
      }
      if (op.ok()) {
        for (int n = 0; n < replicas.size(); n++) {
          if (!op.value().equals(replicas.get(n).get(op.key()))) {
            if ("one".equals(op.expected())) {
              lostOne++;
            } else {
              lost++;
              violations.add(
                  "lost: "
                      + op.key()
                      + "="
                      + op.value()
                      + " acknowledged at "
                      + op.expected()
                      + " is "
                      + replicas.get(n).get(op.key())
                      + " on node "
                      + n);
            }
            break;
          }
        }
      } else if (op.outcome() == Outcome.FAIL
          && replicas.stream().anyMatch(r -> r.containsKey(op.key()))) {
        failedPresent++;
        violations.add(
            "failed_present: "
                + op.key()
                + " was refused with "
                + op.observed()
                + " but is present");
      }
    }
    return new Counts(diverged, lost, lostOne, failedPresent);
  }
}
