package dev.cohort.bench.chaos;

import java.util.List;
import java.util.Map;

/**
 * What a workload's checkers concluded.
 *
 * @param figures named results for the bench line, e.g. {@code linearizable=true}, {@code lost=0},
 *     {@code duplicates=0}, {@code reordered=0}; insertion-ordered
 * @param violations one line per violation found (empty when {@code valid})
 * @param indeterminateCauses what the indeterminate operations saw, most frequent first, as {@code
 *     cause:count} joined by commas ({@code timeout:12,503_unavailable:3}); empty when none
 */
public record CheckResult(
    String workload,
    long ops,
    long ok,
    long failed,
    long indeterminate,
    boolean valid,
    Map<String, String> figures,
    List<String> violations,
    String indeterminateCauses) {

  /** The most causes {@link #line} names; the rest are left out. */
  static final int CAUSES_SHOWN = 5;

  /** Counts the outcomes of {@code history} and wraps the checkers' verdict. */
  static CheckResult of(
      String workload,
      List<Op> history,
      boolean valid,
      Map<String, String> figures,
      List<String> violations) {
    long ok = history.stream().filter(o -> o.outcome() == Outcome.OK).count();
    long failed = history.stream().filter(o -> o.outcome() == Outcome.FAIL).count();
    long indeterminate = history.stream().filter(o -> o.outcome() == Outcome.INDETERMINATE).count();
    return new CheckResult(
        workload,
        history.size(),
        ok,
        failed,
        indeterminate,
        valid,
        java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(figures)),
        List.copyOf(violations),
        causes(history));
  }

  /**
   * The answers indeterminate operations got (a status and error code, or why there was none), so
   * that a run says why its operations were indeterminate, not only how many.
   */
  static String causes(List<Op> history) {
    Map<String, Long> counts =
        history.stream()
            .filter(Op::indeterminate)
            .collect(
                java.util.stream.Collectors.groupingBy(
                    o -> o.observed() == null ? "unknown" : o.observed().replace(' ', '_'),
                    java.util.stream.Collectors.counting()));
    return counts.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(CAUSES_SHOWN)
        .map(e -> e.getKey() + ":" + e.getValue())
        .collect(java.util.stream.Collectors.joining(","));
  }

  /** {@code ops=… ok=… failed=… indeterminate=… valid=… k=v …} for a bench line. */
  public String line() {
    StringBuilder b =
        new StringBuilder()
            .append("workload=")
            .append(workload)
            .append(" ops=")
            .append(ops)
            .append(" ok=")
            .append(ok)
            .append(" failed=")
            .append(failed)
            .append(" indeterminate=")
            .append(indeterminate)
            .append(" valid=")
            .append(valid);
    if (!indeterminateCauses.isEmpty()) {
      b.append(" indeterminate_causes=").append(indeterminateCauses);
    }
    figures.forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
    return b.toString();
  }
}
