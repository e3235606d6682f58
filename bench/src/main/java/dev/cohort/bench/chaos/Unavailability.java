package dev.cohort.bench.chaos;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How long keys stayed unavailable after each fault started. For each fault start {@code t} and
 * each key (or stream) with a successful operation completed before {@code t}: the seconds from
 * {@code t} to the completion of the first successful operation on that key invoked at or after
 * {@code t}. A key that never succeeded again counts until the last completion in the history (the
 * end of the run), so that an outage that never healed is not hidden.
 *
 * <p>Workloads that move on to fresh keys name them {@code <stream>/<n>} (the kv register's {@code
 * r3/17}, unique puts' {@code u/2/40}); a trailing {@code /<digits>} is stripped, so such a key
 * counts as its stream ({@code r3}, {@code u/2}).
 */
public final class Unavailability {
  private Unavailability() {}

  public static double p99Seconds(List<Op> history, List<Long> faultStartNanos) {
    return percentile(samples(history, faultStartNanos), 0.99);
  }

  public static double maxSeconds(List<Op> history, List<Long> faultStartNanos) {
    return percentile(samples(history, faultStartNanos), 1.0);
  }

  /** Every (fault, key) sample in seconds, unsorted. */
  public static double[] samples(List<Op> history, List<Long> faultStartNanos) {
    return byStream(history, faultStartNanos).values().stream()
        .flatMap(List::stream)
        .mapToDouble(Double::doubleValue)
        .toArray();
  }

  /** The stream that stayed unavailable longest, as {@code stream:seconds} (empty: none). */
  public static String worst(List<Op> history, List<Long> faultStartNanos) {
    String worst = "";
    double longest = -1;
    for (Map.Entry<String, List<Double>> e : byStream(history, faultStartNanos).entrySet()) {
      for (double seconds : e.getValue()) {
        if (seconds > longest) {
          longest = seconds;
          worst = e.getKey() + ":" + String.format("%.2f", seconds);
        }
      }
    }
    return worst;
  }

  private static Map<String, List<Double>> byStream(List<Op> history, List<Long> faultStartNanos) {
    Map<String, List<Op>> okByKey = new HashMap<>();
    long end = Long.MIN_VALUE;
    for (Op op : history) {
      if (op.ok() && op.key() != null) {
        okByKey.computeIfAbsent(stream(op.key()), k -> new ArrayList<>()).add(op);
        end = Math.max(end, op.completeNanos());
      }
    }
    Map<String, List<Double>> samples = new HashMap<>();
    for (long start : faultStartNanos) {
      for (Map.Entry<String, List<Op>> stream : okByKey.entrySet()) {
        List<Op> ops = stream.getValue();
        boolean before = false;
        long firstAfter = Long.MAX_VALUE;
        for (Op op : ops) {
          if (op.completeNanos() < start) {
            before = true;
          }
          if (op.invokeNanos() >= start) {
            firstAfter = Math.min(firstAfter, op.completeNanos());
          }
        }
        if (before) {
          long until = firstAfter == Long.MAX_VALUE ? Math.max(end, start) : firstAfter;
          samples
              .computeIfAbsent(stream.getKey(), k -> new ArrayList<>())
              .add((until - start) / 1e9);
        }
      }
    }
    return samples;
  }

  /** The stream a key belongs to: the key without a trailing {@code /<digits>}. */
  static String stream(String key) {
    int slash = key.lastIndexOf('/');
    if (slash <= 0 || slash == key.length() - 1) {
      return key;
    }
    for (int i = slash + 1; i < key.length(); i++) {
      if (!Character.isDigit(key.charAt(i))) {
        return key;
      }
    }
    return key.substring(0, slash);
  }

  /** Nearest-rank percentile; 0 when there are no samples. */
  static double percentile(double[] samples, double q) {
    if (samples.length == 0) {
      return 0;
    }
    double[] sorted = samples.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }
}
