package dev.cohort.bench.chaos;

import java.util.List;
import java.util.Map;

/**
 * What a workload's checkers concluded.
 *
 * @param figures named results for the bench line, e.g. {@code linearizable=true}, {@code lost=0},
 *     {@code duplicates=0}, {@code reordered=0}; insertion-ordered
 * @param violations one line per violation found (empty when {@code valid})
 */
public record CheckResult(
    String workload,
    long ops,
    long ok,
    long failed,
    long indeterminate,
    boolean valid,
    Map<String, String> figures,
    List<String> violations) {

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
        List.copyOf(violations));
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
    figures.forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
    return b.toString();
  }
}
