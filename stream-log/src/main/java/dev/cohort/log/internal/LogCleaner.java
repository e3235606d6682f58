package dev.cohort.log.internal;

import dev.cohort.log.TopicConfig;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.kafka.common.record.internal.Record;

/**
 * Compaction of one partition ({@code cleanup.policy=compact}; Kafka's {@code LogCleaner}): decides
 * when it is due, and runs it off the actor over an immutable view of the batches.
 *
 * <p>Owns: whether a compaction of this partition is running (transient, per entity instance).
 *
 * <p>Invariants: at most one compaction per partition at a time; compaction keeps the latest record
 * per key (by offset) and tombstones younger than {@code delete.retention.ms}, rewrites only
 * batches that lose records, drops batches left empty and never changes an offset. Its result
 * carries the log version it started from; the entity applies it only if the version is unchanged
 * (no truncation, compaction or deletion happened meanwhile), so producers never wait for it.
 *
 * <p>Thread-safety: an instance is confined to the entity's actor; {@link #compact} is pure and
 * runs on the blocking dispatcher.
 */
final class LogCleaner {
  /** The cleaner's output for the batches below {@code cleanedUpTo}. */
  record Cleaned(long cleanedUpTo, List<KafkaBatch> replacement, long tombstonesExpireAt) {}

  private final Executor blocking;
  private boolean running;

  LogCleaner(Executor blocking) {
    this.blocking = blocking;
  }

  /**
   * Whether a compaction should start now: the policy compacts, none is running, and either the
   * bytes written since the last one reach {@code min.cleanable.dirty.ratio} of the log or a kept
   * tombstone has expired.
   */
  boolean due(PartitionLog log, TopicConfig config, long now) {
    if (!config.cleanupPolicy().compacts() || running) {
      return false;
    }
    long dirtyBytes = log.dirtyBytes();
    boolean dirty =
        dirtyBytes > 0 && dirtyBytes >= config.minCleanableDirtyRatio() * log.sizeBytes();
    return dirty || now >= log.tombstonesExpireAt();
  }

  /** Starts compacting every batch of {@code log}; the future completes off the actor. */
  CompletableFuture<Cleaned> start(PartitionLog log, TopicConfig config, long now) {
    running = true;
    List<KafkaBatch> view = log.batchesView();
    long cleanedUpTo = log.logEndOffset();
    long deleteRetentionMs = config.deleteRetentionMs();
    return CompletableFuture.supplyAsync(
        () -> compact(view, cleanedUpTo, deleteRetentionMs, now), blocking);
  }

  /** The running compaction ended (applied, voided or failed). */
  void finished() {
    running = false;
  }

  /**
   * Compacts an immutable list of batches: keeps the latest record per key (by offset) and
   * tombstones younger than {@code deleteRetentionMs}; rewrites only batches that lose records and
   * drops batches left empty. Pure and thread-safe.
   */
  static Cleaned compact(
      List<KafkaBatch> batches, long cleanedUpTo, long deleteRetentionMs, long now) {
    List<List<Record>> decoded = new ArrayList<>(batches.size());
    Map<ByteBuffer, Long> latest = new HashMap<>();
    for (KafkaBatch b : batches) {
      List<Record> records = KafkaBatches.records(b);
      decoded.add(records);
      for (Record r : records) {
        if (r.hasKey()) {
          latest.put(r.key(), r.offset());
        }
      }
    }
    List<KafkaBatch> replacement = new ArrayList<>();
    long tombstonesExpireAt = Long.MAX_VALUE;
    ArrayDeque<Record> kept = new ArrayDeque<>();
    for (int i = 0; i < batches.size(); i++) {
      KafkaBatch b = batches.get(i);
      kept.clear();
      for (Record r : decoded.get(i)) {
        if (!r.hasKey()) {
          kept.add(r);
          continue;
        }
        if (latest.get(r.key()) != r.offset()) {
          continue;
        }
        if (!r.hasValue()) {
          // A LogAppendTime batch's records carry the append time.
          long expiresAt = r.timestamp() + deleteRetentionMs;
          if (expiresAt <= now) {
            continue;
          }
          tombstonesExpireAt = Math.min(tombstonesExpireAt, expiresAt);
        }
        kept.add(r);
      }
      if (kept.size() == b.recordCount()) {
        replacement.add(b);
      } else if (!kept.isEmpty()) {
        replacement.add(KafkaBatches.rewrite(b, List.copyOf(kept)));
      }
    }
    return new Cleaned(cleanedUpTo, List.copyOf(replacement), tombstonesExpireAt);
  }
}
