package dev.cohort.kv.ap.internal;

import dev.cohort.persistence.CohortSerializable;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.cluster.ddata.DeltaReplicatedData;
import org.apache.pekko.cluster.ddata.ReplicatedData;
import org.apache.pekko.cluster.ddata.ReplicatedDelta;
import scala.Option;

/**
 * One Distributed Data entry of an AP keyspace: the last-writer-wins registers ({@link ApEntry}) of
 * the keys that hash to this bucket, sorted by key. A state-based CRDT whose merge keeps, per key,
 * the entry that {@link ApEntry#beats beats} the other; merge is commutative, associative and
 * idempotent, so replicas converge whatever order changes reach them in.
 *
 * <p>It is also its own delta type: {@code pending} holds the entries written on this node since
 * the replicator last took the delta, and merging a delta is an ordinary merge. Deltas need no
 * causal delivery (a LWW register merge is idempotent and order-free), so a majority write sends
 * only the changed keys, not the whole bucket.
 *
 * <p>Purging (dropping tombstones and expired values past their purge time) is not a CRDT
 * operation: every replica does it on its own, from the entry's own purge time, which every replica
 * computes alike. Every merge drops purgeable entries, from either side, so a purged entry does not
 * bounce back from a replica that has not purged it yet; the result of a merge therefore depends on
 * the wall clock, but only in dropping what every replica drops sooner or later.
 *
 * <p>Immutable: every change returns a new bucket (copying the map, O(keys in the bucket) — the
 * reason keys are spread over many buckets). Thread-safe.
 *
 * @param entries key to register, sorted by key (sorted so that equal buckets serialize to equal
 *     bytes and Distributed Data's gossip digests match)
 * @param pending the entries changed locally since the last {@link #resetDelta()}, or null
 */
public record ApBucket(TreeMap<String, ApEntry> entries, TreeMap<String, ApEntry> pending)
    implements DeltaReplicatedData, ReplicatedDelta, CohortSerializable {

  public static final ApBucket EMPTY = new ApBucket(new TreeMap<>(), null);

  public ApBucket {
    entries = entries == null ? new TreeMap<>() : entries;
  }

  public ApEntry entry(String key) {
    return entries.get(key);
  }

  /** This bucket with {@code entry} for {@code key}, unless the current entry beats it. */
  public ApBucket put(String key, ApEntry entry) {
    ApEntry current = entries.get(key);
    if (current != null && !entry.beats(current)) {
      return this;
    }
    TreeMap<String, ApEntry> next = new TreeMap<>(entries);
    next.put(key, entry);
    TreeMap<String, ApEntry> nextDelta = pending == null ? new TreeMap<>() : new TreeMap<>(pending);
    nextDelta.put(key, entry);
    return new ApBucket(next, nextDelta);
  }

  /** Whether {@link #purge} would drop anything at {@code nowMillis}. */
  public boolean hasPurgeable(long nowMillis) {
    for (ApEntry e : entries.values()) {
      if (e.purgeableAt(nowMillis)) {
        return true;
      }
    }
    return false;
  }

  /** This bucket without the entries whose purge time has come; the pending delta is kept. */
  public ApBucket purge(long nowMillis) {
    if (!hasPurgeable(nowMillis)) {
      return this;
    }
    TreeMap<String, ApEntry> next = new TreeMap<>(entries);
    next.values().removeIf(e -> e.purgeableAt(nowMillis));
    return new ApBucket(next, pending);
  }

  /** The number of keys with a value at {@code nowMillis}. */
  public int liveKeys(long nowMillis) {
    int n = 0;
    for (ApEntry e : entries.values()) {
      if (e.liveAt(nowMillis)) {
        n++;
      }
    }
    return n;
  }

  /**
   * The per-key winners of both buckets, without the entries whose purge time has come (from
   * either side). Distributed Data applies every local update as {@code current.merge(modified)},
   * so dropping purgeable entries here is also how {@link #purge} takes effect.
   */
  @Override
  public ReplicatedData merge(ReplicatedData that) {
    ApBucket other = (ApBucket) that;
    long now = System.currentTimeMillis();
    TreeMap<String, ApEntry> next = null;
    if (other != this) {
      for (Map.Entry<String, ApEntry> e : other.entries.entrySet()) {
        ApEntry mine = entries.get(e.getKey());
        ApEntry theirs = e.getValue();
        boolean take =
            mine == null ? !theirs.purgeableAt(now) : !mine.equals(theirs) && theirs.beats(mine);
        if (take) {
          if (next == null) {
            next = new TreeMap<>(entries);
          }
          next.put(e.getKey(), theirs);
        }
      }
    }
    if (hasPurgeable(now)) {
      if (next == null) {
        next = new TreeMap<>(entries);
      }
      next.values().removeIf(e -> e.purgeableAt(now));
    }
    return next == null ? this : new ApBucket(next, pending);
  }

  @Override
  public Option<ReplicatedDelta> delta() {
    return pending == null || pending.isEmpty()
        ? Option.empty()
        : Option.apply(new ApBucket(pending, null));
  }

  @Override
  public ReplicatedData mergeDelta(ReplicatedDelta thatDelta) {
    return merge(thatDelta);
  }

  @Override
  public ReplicatedData resetDelta() {
    return pending == null ? this : new ApBucket(entries, null);
  }

  @Override
  public DeltaReplicatedData zero() {
    return EMPTY;
  }

  // Equality is by entries only: the pending delta is this node's bookkeeping, not replica state.
  @Override
  public boolean equals(Object o) {
    return o instanceof ApBucket b && entries.equals(b.entries);
  }

  @Override
  public int hashCode() {
    return entries.hashCode();
  }

  @Override
  public String toString() {
    return "ApBucket[" + entries.size() + " entries]";
  }
}
