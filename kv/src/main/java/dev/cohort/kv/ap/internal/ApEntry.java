package dev.cohort.kv.ap.internal;

import dev.cohort.persistence.CohortSerializable;
import java.util.Arrays;

/**
 * One key's last-writer-wins register in an AP bucket: a value, or a tombstone when {@code value}
 * is null.
 *
 * <p>Order ({@link #beats}): the higher hybrid-logical-clock {@code timestamp} wins; on equal
 * timestamps the greater {@code writer} address wins; on equal timestamp and writer (only possible
 * if a node's clock went back across a restart) a tombstone beats a value and otherwise the greater
 * value bytes win. The order is total, so every replica that has seen the same writes picks the
 * same winner whatever order it saw them in.
 *
 * <p>Expiry and purge are decided from the entry alone, never from the replica's state, so that
 * every replica reaches the same decision: a value with a TTL is absent from {@code
 * expiresAtMillis} on (it then acts as a tombstone); a tombstone or an expired value is removed
 * from the bucket at {@code purgeAtMillis} ({@code cohort.kv.ap.tombstone-ttl} after the delete or
 * the expiry). Until it is purged it keeps older writes that arrive late from resurrecting the key.
 *
 * @param value the value bytes, or null for a tombstone; never mutated
 * @param timestamp the hybrid logical clock timestamp of the write
 * @param writer the address of the node that wrote it (tie-breaker)
 * @param expiresAtMillis wall-clock millis from which the value is absent, 0 for no TTL
 * @param purgeAtMillis wall-clock millis from which the entry may be removed, 0 for never (a live
 *     value without TTL)
 */
public record ApEntry(
    byte[] value, long timestamp, String writer, long expiresAtMillis, long purgeAtMillis)
    implements CohortSerializable {

  public boolean isTombstone() {
    return value == null;
  }

  /** Whether the key has this value at {@code nowMillis} (not deleted, not expired). */
  public boolean liveAt(long nowMillis) {
    return value != null && (expiresAtMillis == 0 || nowMillis < expiresAtMillis);
  }

  /** Whether every replica may drop the entry at {@code nowMillis}. */
  public boolean purgeableAt(long nowMillis) {
    return purgeAtMillis != 0 && nowMillis >= purgeAtMillis;
  }

  /** Whether this entry wins over {@code other} (a different write of the same key). */
  public boolean beats(ApEntry other) {
    if (timestamp != other.timestamp) {
      return timestamp > other.timestamp;
    }
    int byWriter = writer.compareTo(other.writer);
    if (byWriter != 0) {
      return byWriter > 0;
    }
    if (isTombstone() != other.isTombstone()) {
      return isTombstone();
    }
    return !isTombstone() && Arrays.compare(value, other.value) > 0;
  }

  // Value equality (a record compares arrays by reference): replicas compare merged buckets to
  // decide whether anything changed.
  @Override
  public boolean equals(Object o) {
    return o instanceof ApEntry e
        && timestamp == e.timestamp
        && expiresAtMillis == e.expiresAtMillis
        && purgeAtMillis == e.purgeAtMillis
        && writer.equals(e.writer)
        && Arrays.equals(value, e.value);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(timestamp) * 31 + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return "ApEntry["
        + (value == null ? "tombstone" : value.length + " bytes")
        + " @"
        + HybridLogicalClock.format(timestamp)
        + " by "
        + writer
        + (expiresAtMillis == 0 ? "" : ", expires " + expiresAtMillis)
        + "]";
  }
}
