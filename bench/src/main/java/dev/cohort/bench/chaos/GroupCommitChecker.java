package dev.cohort.bench.chaos;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks consumer-group members' history: {@code poll} ops (key {@code partition-<p>}, value the
 * offsets received, comma-separated; expected the member id) and {@code commit} ops (value the
 * committed offset, the next one to read; expected the member id).
 *
 * <ul>
 *   <li>{@code commits_backwards}: an acknowledged commit that started after another acknowledged
 *       commit of the same partition ended, with a lower offset (committed offsets never move
 *       back), and the group's final committed offset below the highest acknowledged one;
 *   <li>{@code skipped}: offsets below the highest acknowledged commit that no member ever received
 *       (a commit covered a record nobody saw), and, per member, offsets between two of its
 *       consecutive commits of a partition that it did not receive, when no other member committed
 *       that partition in between.
 * </ul>
 */
public final class GroupCommitChecker {
  private GroupCommitChecker() {}

  public record Counts(long commitsBackwards, long skipped) {}

  /**
   * @param finalCommitted the group's committed offset per partition read after healing (absent
   *     partitions are not checked)
   */
  public static Counts check(
      List<Op> history, Map<Integer, Long> finalCommitted, List<String> violations) {
    Map<Integer, List<Op>> commits = new TreeMap<>();
    Map<Integer, BitSet> received = new TreeMap<>();
    Map<String, List<Op>> byMemberPartition = new HashMap<>();
    for (Op op : history) {
      if (op.f().equals("commit") && op.ok()) {
        commits
            .computeIfAbsent(StreamLogChecker.partitionOf(op.key()), p -> new ArrayList<>())
            .add(op);
      }
      if (op.f().equals("poll") && op.ok()) {
        BitSet seen =
            received.computeIfAbsent(StreamLogChecker.partitionOf(op.key()), p -> new BitSet());
        offsets(op).forEach(o -> seen.set(Math.toIntExact(o)));
      }
      if ((op.f().equals("poll") || op.f().equals("commit")) && op.ok()) {
        byMemberPartition
            .computeIfAbsent(op.expected() + "|" + op.key(), k -> new ArrayList<>())
            .add(op);
      }
    }
    long backwards = 0;
    long skipped = 0;
    for (Map.Entry<Integer, List<Op>> e : commits.entrySet()) {
      int partition = e.getKey();
      List<Op> list = e.getValue();
      list.sort(Comparator.comparingLong(Op::completeNanos));
      // Highest offset among commits that completed before each commit was invoked.
      long highest = -1;
      Op highestOp = null;
      int next = 0;
      List<Op> byInvoke = new ArrayList<>(list);
      byInvoke.sort(Comparator.comparingLong(Op::invokeNanos));
      for (Op c : byInvoke) {
        while (next < list.size() && list.get(next).completeNanos() < c.invokeNanos()) {
          long offset = Long.parseLong(list.get(next).value());
          if (offset > highest) {
            highest = offset;
            highestOp = list.get(next);
          }
          next++;
        }
        if (Long.parseLong(c.value()) < highest) {
          backwards++;
          violations.add(
              "commit_backwards: partition "
                  + partition
                  + " committed "
                  + c.value()
                  + " by member "
                  + c.expected()
                  + " after "
                  + highest
                  + " by member "
                  + highestOp.expected()
                  + " was acknowledged");
        }
      }
      long maxAcked = list.stream().mapToLong(c -> Long.parseLong(c.value())).max().orElse(0);
      Long last = finalCommitted.get(partition);
      if (last != null && last < maxAcked) {
        backwards++;
        violations.add(
            "commit_backwards: partition "
                + partition
                + " ends committed at "
                + last
                + " below the acknowledged commit "
                + maxAcked);
      }
      BitSet seen = received.getOrDefault(partition, new BitSet());
      int missing = (int) maxAcked - seen.get(0, (int) maxAcked).cardinality();
      if (missing > 0) {
        skipped += missing;
        violations.add(
            "skipped: partition "
                + partition
                + " has "
                + missing
                + " offsets below the committed "
                + maxAcked
                + " that no member received (first: "
                + seen.nextClearBit(0)
                + ")");
      }
    }
    for (List<Op> ops : byMemberPartition.values()) {
      skipped += memberGaps(ops, commits, violations);
    }
    return new Counts(backwards, skipped);
  }

  /** Per member and partition: between consecutive own commits, its polls cover the offsets. */
  private static long memberGaps(
      List<Op> ops, Map<Integer, List<Op>> commits, List<String> violations) {
    ops.sort(Comparator.comparingLong(Op::invokeNanos));
    long gaps = 0;
    Op previous = null;
    BitSet seen = new BitSet();
    for (Op op : ops) {
      if (op.f().equals("poll")) {
        offsets(op).forEach(o -> seen.set(Math.toIntExact(o)));
        continue;
      }
      if (previous != null && !otherCommitBetween(previous, op, commits)) {
        int from = Integer.parseInt(previous.value());
        int to = Integer.parseInt(op.value());
        if (to > from) {
          int missing = (to - from) - seen.get(from, to).cardinality();
          if (missing > 0) {
            gaps += missing;
            violations.add(
                "skipped: member "
                    + op.expected()
                    + " committed "
                    + op.key()
                    + " from "
                    + from
                    + " to "
                    + to
                    + " without receiving "
                    + missing
                    + " of those offsets (first: "
                    + seen.nextClearBit(from)
                    + ")");
          }
        }
      }
      previous = op;
      seen.clear();
    }
    return gaps;
  }

  private static boolean otherCommitBetween(Op a, Op b, Map<Integer, List<Op>> commits) {
    for (Op c : commits.getOrDefault(StreamLogChecker.partitionOf(a.key()), List.of())) {
      if (!c.expected().equals(a.expected())
          && c.completeNanos() >= a.invokeNanos()
          && c.invokeNanos() <= b.completeNanos()) {
        return true;
      }
    }
    return false;
  }

  private static List<Long> offsets(Op poll) {
    List<Long> offsets = new ArrayList<>();
    if (poll.value() != null && !poll.value().isEmpty()) {
      for (String o : poll.value().split(",")) {
        offsets.add(Long.parseLong(o));
      }
    }
    return offsets;
  }
}
