package dev.cohort.bench.chaos;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a topic read back from offset 0 against the producers' history ({@code send} ops whose
 * value is the batch's record values joined by commas, key {@code partition-<p>}).
 *
 * <ul>
 *   <li>{@code lost}: records of acknowledged batches that are not in the log;
 *   <li>{@code duplicates}: copies beyond the first of any record;
 *   <li>{@code reordered}: records whose first copy comes after the first copy of a later record of
 *       the same producer in the same partition (values are {@code p<producer>-<n>});
 *   <li>{@code misplaced}: records found in another partition than the one they were sent to;
 *   <li>{@code unknown}: records nobody sent;
 *   <li>{@code failed_present}: records of a batch every attempt of which was refused definitely.
 * </ul>
 *
 * With the plain (non-idempotent) produce a retried batch may be written twice, so duplicates are a
 * figure there, and a violation only when {@code idempotent}.
 */
public final class StreamLogChecker {
  private StreamLogChecker() {}

  /**
   * @param excusedDuplicates duplicates of records whose batch was resent under a new producer
   *     epoch after an indeterminate attempt (idempotence cannot cover those, in Kafka neither)
   */
  public record Counts(
      long acknowledged,
      long lost,
      long duplicates,
      long excusedDuplicates,
      long reordered,
      long misplaced,
      long unknown,
      long failedPresent) {}

  /**
   * @param log every partition's record values in offset order
   * @param violations receives one line per finding (callers truncate)
   */
  public static Counts check(
      List<Op> history, Map<Integer, List<String>> log, List<String> violations) {
    Map<String, Integer> sentTo = new HashMap<>();
    Map<String, Outcome> outcome = new HashMap<>();
    java.util.Set<String> excused = new java.util.HashSet<>();
    for (Op op : history) {
      if (!op.f().equals("send") || op.value() == null) {
        continue;
      }
      int partition = partitionOf(op.key());
      for (String v : op.value().split(",")) {
        sentTo.put(v, partition);
        outcome.put(v, op.outcome());
        if ("resent-in-new-epoch".equals(op.expected())) {
          excused.add(v);
        }
      }
    }
    Map<String, Integer> copies = new HashMap<>();
    long misplaced = 0;
    long unknown = 0;
    long reordered = 0;
    for (Map.Entry<Integer, List<String>> partition : log.entrySet()) {
      Map<Integer, Long> highestSeq = new HashMap<>();
      for (String v : partition.getValue()) {
        int n = copies.merge(v, 1, Integer::sum);
        Integer expectedPartition = sentTo.get(v);
        if (expectedPartition == null) {
          unknown++;
          violations.add(
              "unknown: record '" + v + "' in partition " + partition.getKey() + " was never sent");
          continue;
        }
        if (expectedPartition.intValue() != partition.getKey()) {
          misplaced++;
          violations.add(
              "misplaced: record '"
                  + v
                  + "' sent to partition "
                  + expectedPartition
                  + " found in partition "
                  + partition.getKey());
        }
        if (n > 1) {
          continue; // order is judged by first copies
        }
        int producer = producerOf(v);
        long seq = seqOf(v);
        Long before = highestSeq.get(producer);
        if (before != null && seq < before) {
          reordered++;
          violations.add(
              "reordered: in partition "
                  + partition.getKey()
                  + " record '"
                  + v
                  + "' comes after record "
                  + before
                  + " of the same producer");
        } else {
          highestSeq.put(producer, seq);
        }
      }
    }
    long acknowledged = 0;
    long lost = 0;
    long failedPresent = 0;
    for (Map.Entry<String, Outcome> e : outcome.entrySet()) {
      if (e.getValue() == Outcome.OK) {
        acknowledged++;
        if (!copies.containsKey(e.getKey())) {
          lost++;
          violations.add(
              "lost: acknowledged record '"
                  + e.getKey()
                  + "' is not in partition "
                  + sentTo.get(e.getKey()));
        }
      } else if (e.getValue() == Outcome.FAIL && copies.containsKey(e.getKey())) {
        failedPresent++;
        violations.add(
            "failed_present: record '"
                + e.getKey()
                + "' of a batch that failed definitely is in the log");
      }
    }
    long duplicates = 0;
    long excusedDuplicates = 0;
    for (Map.Entry<String, Integer> c : copies.entrySet()) {
      if (c.getValue() > 1) {
        duplicates += c.getValue() - 1;
        if (excused.contains(c.getKey())) {
          excusedDuplicates += c.getValue() - 1;
        } else if (duplicates - excusedDuplicates <= 20) {
          violations.add(
              "duplicate: record '" + c.getKey() + "' is in the log " + c.getValue() + " times");
        }
      }
    }
    return new Counts(
        acknowledged,
        lost,
        duplicates,
        excusedDuplicates,
        reordered,
        misplaced,
        unknown,
        failedPresent);
  }

  /**
   * The figures and verdict for the producers' side. Duplicate lines in {@code violations} are
   * dropped again when the produce was not idempotent (there they are expected).
   */
  static boolean figures(
      Counts c, boolean idempotent, Map<String, String> figures, List<String> violations) {
    if (!idempotent) {
      violations.removeIf(v -> v.startsWith("duplicate: "));
    }
    figures.put("idempotent", Boolean.toString(idempotent));
    figures.put("acknowledged", Long.toString(c.acknowledged()));
    figures.put("lost", Long.toString(c.lost()));
    figures.put("duplicates", Long.toString(c.duplicates()));
    figures.put("duplicates_new_epoch", Long.toString(c.excusedDuplicates()));
    figures.put("reordered", Long.toString(c.reordered()));
    figures.put("misplaced", Long.toString(c.misplaced()));
    figures.put("unknown", Long.toString(c.unknown()));
    figures.put("failed_present", Long.toString(c.failedPresent()));
    return c.lost() == 0
        && c.failedPresent() == 0
        && c.reordered() == 0
        && c.misplaced() == 0
        && c.unknown() == 0
        && (!idempotent || c.duplicates() == c.excusedDuplicates());
  }

  static int partitionOf(String key) {
    return Integer.parseInt(key.substring(key.lastIndexOf('-') + 1));
  }

  static int producerOf(String value) {
    return Integer.parseInt(value.substring(1, value.indexOf('-')));
  }

  static long seqOf(String value) {
    return Long.parseLong(value.substring(value.indexOf('-') + 1));
  }

  static Map<String, String> newFigures() {
    return new LinkedHashMap<>();
  }
}
