package dev.cohort.log.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The retained batches of one configured partition, in memory (Kafka's log: offsets, size and the
 * segment list, here one list of batches).
 *
 * <p>Owns: the batches, {@code logStartOffset}, {@code logEndOffset}, the retained and dirty byte
 * counts, and the compaction marks ({@code cleanedUpTo}, {@code tombstonesExpireAt}).
 *
 * <p>Invariants: {@code logStartOffset <= logEndOffset}; batches are ordered by offset, disjoint,
 * and lie in [logStartOffset, logEndOffset); offsets never change (compaction leaves gaps); {@code
 * sizeBytes} is the sum of the retained batches' sizes and {@code dirtyBytes} the part of it at or
 * after {@code cleanedUpTo}. Only the {@code append}, {@code truncate} and {@code compacted}
 * methods change it, and only event handlers call them.
 *
 * <p>Thread-safety: mutable, confined to the partition entity's actor; the batches themselves are
 * immutable and shared with fetch replies and the cleaner.
 */
final class PartitionLog {
  /** Drop the removed head slots once more than this many (and over half the list) are empty. */
  private static final int COMPACT_HEAD_AFTER = 64;

  private long logStartOffset;
  private long logEndOffset;
  private long sizeBytes;

  /** Bytes of batches at or after {@link #cleanedUpTo}: written since the last compaction. */
  private long dirtyBytes;

  private long cleanedUpTo;
  private long tombstonesExpireAt = Long.MAX_VALUE;
  private final ArrayList<KafkaBatch> batches = new ArrayList<>();

  /** Index of the first retained batch; slots before it were truncated and are null. */
  private int head;

  /** A log restored from a snapshot's fields (a new log when they are all empty). */
  static PartitionLog restore(
      long logStartOffset,
      long logEndOffset,
      List<KafkaBatch> batches,
      long cleanedUpTo,
      long tombstonesExpireAt) {
    PartitionLog log = new PartitionLog();
    log.logStartOffset = logStartOffset;
    log.logEndOffset = logEndOffset;
    log.cleanedUpTo = cleanedUpTo;
    log.tombstonesExpireAt = tombstonesExpireAt;
    for (KafkaBatch b : batches) {
      log.batches.add(b);
      log.sizeBytes += b.sizeBytes();
      if (b.baseOffset() >= cleanedUpTo) {
        log.dirtyBytes += b.sizeBytes();
      }
    }
    return log;
  }

  long logStartOffset() {
    return logStartOffset;
  }

  long logEndOffset() {
    return logEndOffset;
  }

  long sizeBytes() {
    return sizeBytes;
  }

  long dirtyBytes() {
    return dirtyBytes;
  }

  long cleanedUpTo() {
    return cleanedUpTo;
  }

  long tombstonesExpireAt() {
    return tombstonesExpireAt;
  }

  int batchCount() {
    return batches.size() - head;
  }

  KafkaBatch batch(int i) {
    return batches.get(head + i);
  }

  /** An immutable copy of the retained batches (for a snapshot or the cleaner). */
  List<KafkaBatch> batchesView() {
    return List.copyOf(batches.subList(head, batches.size()));
  }

  /** Whether {@code offset} lies in [logStartOffset, logEndOffset], where a fetch may start. */
  boolean inRange(long offset) {
    return offset >= logStartOffset && offset <= logEndOffset;
  }

  /** Index of the first batch whose lastOffset >= offset, or batchCount() if none. */
  int indexFor(long offset) {
    int lo = 0;
    int hi = batchCount();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (batch(mid).lastOffset() < offset) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /**
   * The batches from the one holding {@code offset}: at least one when there is one, then more
   * while they fit in {@code maxBytes} and fewer than {@code maxRecords} records were taken.
   */
  List<KafkaBatch> read(long offset, long maxBytes, int maxRecords) {
    List<KafkaBatch> out = new ArrayList<>();
    long bytes = 0;
    long records = 0;
    for (int i = indexFor(offset); i < batchCount(); i++) {
      KafkaBatch b = batch(i);
      if (!out.isEmpty() && (bytes + b.sizeBytes() > maxBytes || records >= maxRecords)) {
        break;
      }
      out.add(b);
      bytes += b.sizeBytes();
      records += b.recordCount();
    }
    return List.copyOf(out);
  }

  /** Appends a batch whose offsets start at {@link #logEndOffset()}. */
  void append(KafkaBatch b) {
    batches.add(b);
    logEndOffset = b.lastOffset() + 1;
    sizeBytes += b.sizeBytes();
    dirtyBytes += b.sizeBytes();
  }

  /** Removes every batch wholly below {@code newStart}; the log start never moves back. */
  void truncate(long newStart) {
    while (head < batches.size() && batches.get(head).lastOffset() < newStart) {
      KafkaBatch removed = batches.get(head);
      sizeBytes -= removed.sizeBytes();
      if (removed.baseOffset() >= cleanedUpTo) {
        dirtyBytes -= removed.sizeBytes();
      }
      batches.set(head, null);
      head++;
    }
    if (head > COMPACT_HEAD_AFTER && head > batches.size() / 2) {
      batches.subList(0, head).clear();
      head = 0;
    }
    logStartOffset = Math.max(logStartOffset, newStart);
  }

  /**
   * Replaces the batches below {@code newCleanedUpTo} by {@code replacement} (the cleaner's output
   * for them), dropping any that truncation removed meanwhile.
   */
  void compacted(long newCleanedUpTo, List<KafkaBatch> replacement, long newTombstonesExpireAt) {
    List<KafkaBatch> kept = new ArrayList<>(replacement);
    for (int i = 0; i < batchCount(); i++) {
      if (batch(i).lastOffset() >= newCleanedUpTo) {
        kept.add(batch(i));
      }
    }
    batches.clear();
    head = 0;
    sizeBytes = 0;
    dirtyBytes = 0;
    for (KafkaBatch b : kept) {
      if (b.lastOffset() >= logStartOffset) {
        batches.add(b);
        sizeBytes += b.sizeBytes();
        if (b.baseOffset() >= newCleanedUpTo) {
          dirtyBytes += b.sizeBytes();
        }
      }
    }
    cleanedUpTo = newCleanedUpTo;
    tombstonesExpireAt = newTombstonesExpireAt;
  }
}
