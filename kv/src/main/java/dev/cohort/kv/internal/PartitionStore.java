package dev.cohort.kv.internal;

import dev.cohort.kv.Header;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KvError;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.internal.KvPartition.DeleteKey;
import dev.cohort.kv.internal.KvPartition.Dropped;
import dev.cohort.kv.internal.KvPartition.Get;
import dev.cohort.kv.internal.KvPartition.LeaseKeys;
import dev.cohort.kv.internal.KvPartition.LeaseKeysReply;
import dev.cohort.kv.internal.KvPartition.Mutation;
import dev.cohort.kv.internal.KvPartition.PutKv;
import dev.cohort.kv.internal.KvPartition.Range;
import dev.cohort.kv.internal.KvPartition.RangeReply;
import dev.cohort.kv.internal.KvPartition.State;
import dev.cohort.kv.internal.KvPartition.StatsReply;
import dev.cohort.kv.internal.KvPartition.Written;
import dev.cohort.persistence.Rejection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The keys and revision history of one kv partition, as etcd's {@code kvstore.go} and {@code
 * kvstore_compaction.go}: applies a {@link Written} to the {@link State}, compacts the history, and
 * reads keys now and at a past revision.
 *
 * <p>Invariants: the revision only moves forward, and only with an event that changed a key; the
 * history holds every change after {@code compactedRevision}, oldest first, and never loses part of
 * a revision (the compaction cut lies on a revision boundary); {@code bytes} and {@code
 * historyBytes} are the sums their names say. Compaction is decided from the events' own timestamps
 * and the cluster-wide {@code cohort.kv.history.*} settings, so replaying the journal rebuilds the
 * same history on any node.
 *
 * <p>{@link #applyWritten} and {@link #drop} run in the event handler: they change the state's
 * collections in place and return the next state, and do nothing else. Not thread-safe; used by the
 * partition's actor only.
 */
final class PartitionStore {
  private final int partition;
  private final KvSettings settings;

  PartitionStore(int partition, KvSettings settings) {
    this.partition = partition;
    this.settings = settings;
  }

  Header header(State state) {
    return new Header(partition, state.revision());
  }

  // ------------------------------------------------------------------------- applying events

  State applyWritten(State s, Written w) {
    long size = s.bytes();
    long historySize = s.historyBytes();
    for (Mutation m : w.mutations()) {
      switch (m) {
        case PutKv put -> {
          KeyValue kv = put.kv();
          KeyValue prev = s.kvs().put(kv.key(), kv);
          size += sizeOf(kv) - sizeOf(prev);
          historySize += sizeOf(kv) + sizeOf(prev);
          s.history().add(new Change(w.revision(), w.atMillis(), kv.key(), kv, prev));
        }
        case DeleteKey delete -> {
          KeyValue prev = s.kvs().remove(delete.key());
          if (prev != null) {
            size -= sizeOf(prev);
            historySize += sizeOf(prev);
            s.history().add(new Change(w.revision(), w.atMillis(), delete.key(), null, prev));
          }
        }
      }
    }
    if (w.revokedLease() != 0) {
      s.revokedLeases().put(w.revokedLease(), w.atMillis());
    }
    long forgetBefore = w.atMillis() - settings.leaseRevokedRetention().toMillis();
    s.revokedLeases().values().removeIf(at -> at < forgetBefore);
    long newRevision = w.mutations().isEmpty() ? s.revision() : w.revision();
    List<Change> history = s.history();
    int cut = compactionCut(history, newRevision, w.atMillis(), historySize);
    long compacted = s.compactedRevision();
    if (cut > 0) {
      compacted = history.get(cut - 1).revision();
      List<Change> removed = history.subList(0, cut);
      for (Change c : removed) {
        historySize -= sizeOf(c.kv()) + sizeOf(c.prev());
      }
      removed.clear();
    }
    return new State(
        newRevision,
        compacted,
        Math.max(s.lastAtMillis(), w.atMillis()),
        s.dropped(),
        s.kvs(),
        s.history(),
        s.revokedLeases(),
        size,
        historySize,
        s.prepared(),
        s.locks(),
        s.outcomes());
  }

  static State drop(State s, Dropped d) {
    return new State(
        s.revision(),
        s.compactedRevision(),
        Math.max(s.lastAtMillis(), d.atMillis()),
        true,
        s.kvs(),
        s.history(),
        s.revokedLeases(),
        s.bytes(),
        s.historyBytes(),
        s.prepared(),
        s.locks(),
        s.outcomes());
  }

  /**
   * How many of the oldest changes to compact: those older than keep-revisions or keep-duration,
   * and as many more as bring the history under max-bytes. Removal is amortized: it waits until an
   * eighth of the history (at least 64 changes) is removable, unless over max-bytes.
   */
  private int compactionCut(
      List<Change> history, long newRevision, long nowMillis, long historySize) {
    if (history.isEmpty()) {
      return 0;
    }
    long byRevision = newRevision - settings.historyKeepRevisions();
    long oldestKeptAt = nowMillis - settings.historyKeepDuration().toMillis();
    int cut = firstKept(history, c -> c.revision() > byRevision);
    int byTime = firstKept(history, c -> c.atMillis() >= oldestKeptAt);
    cut = Math.max(cut, byTime);
    boolean overSize = historySize > settings.historyMaxBytes();
    if (overSize) {
      // Leave about three quarters of the budget, so that the next writes do not compact again.
      long excess = historySize - settings.historyMaxBytes() * 3 / 4;
      int bySize = 0;
      while (excess > 0 && bySize < history.size()) {
        Change c = history.get(bySize++);
        excess -= sizeOf(c.kv()) + sizeOf(c.prev());
      }
      cut = Math.max(cut, bySize);
    }
    // Never split one revision's changes: move the cut to a revision boundary.
    while (cut > 0
        && cut < history.size()
        && history.get(cut).revision() == history.get(cut - 1).revision()) {
      cut++;
    }
    if (!overSize && ((cut < 64 && cut < history.size()) || cut < history.size() / 8)) {
      return 0;
    }
    return cut;
  }

  /** The index of the first change {@code kept} holds for; it holds for every later one too. */
  private static int firstKept(List<Change> history, Predicate<Change> kept) {
    int lo = 0;
    int hi = history.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (kept.test(history.get(mid))) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  static long sizeOf(KeyValue kv) {
    return kv == null ? 0 : kv.key().length() + (long) kv.value().length;
  }

  // ---------------------------------------------------------------------------------- reads

  /** Why {@code get} cannot be answered (a bad key, a future or compacted revision), or null. */
  Rejection getProblem(State state, Get get) {
    Rejection p = Keys.keyProblem(get.key());
    if (p != null) {
      return p;
    }
    long at = get.revision();
    if (at > state.revision()) {
      return KvError.FUTURE_REVISION.rejection(
          "revision " + at + " is ahead of partition " + partition + " at " + state.revision());
    }
    if (at > 0 && at < state.compactedRevision()) {
      return KvError.REVISION_COMPACTED.rejection(
          "revision "
              + at
              + " of partition "
              + partition
              + " was compacted; history starts after "
              + state.compactedRevision());
    }
    return null;
  }

  /** Whether a read at {@code revision} reads the current keys (0 or less: now). */
  static boolean readsCurrent(State state, long revision) {
    return revision <= 0 || revision >= state.revision();
  }

  /** {@code key} at {@code revision}, which {@link #getProblem} accepted; null when absent. */
  static KeyValue readAt(State state, String key, long revision) {
    KeyValue then = state.kvs().get(key);
    if (readsCurrent(state, revision)) {
      return then;
    }
    // Undo, newest first, every change of the key after the asked revision.
    List<Change> history = state.history();
    for (int i = history.size() - 1; i >= 0 && history.get(i).revision() > revision; i--) {
      Change c = history.get(i);
      if (c.key().equals(key)) {
        then = c.prev();
      }
    }
    return then;
  }

  RangeReply range(State state, Range range) {
    NavigableMap<String, KeyValue> selected = select(state.kvs(), range.from(), range.to());
    long count = selected.size();
    List<KeyValue> kvs = new ArrayList<>();
    boolean more = false;
    if (!range.countOnly()) {
      int limit = range.limit() <= 0 ? Integer.MAX_VALUE : range.limit();
      for (KeyValue kv : selected.values()) {
        if (kvs.size() == limit) {
          more = true;
          break;
        }
        kvs.add(range.keysOnly() ? kv.withoutValue() : kv);
      }
    }
    return new RangeReply(header(state), List.copyOf(kvs), count, more);
  }

  LeaseKeysReply leaseKeys(State state, LeaseKeys query) {
    List<String> keys = new ArrayList<>();
    for (KeyValue kv : state.kvs().values()) {
      if (kv.lease() == query.lease()) {
        keys.add(kv.key());
      }
    }
    return new LeaseKeysReply(header(state), List.copyOf(keys));
  }

  StatsReply stats(State state) {
    return new StatsReply(header(state), state.kvs().size(), state.bytes());
  }

  /**
   * The keys in {@code [from, to)}; {@code from} null: from the first, {@code to} null: to the end.
   */
  static NavigableMap<String, KeyValue> select(
      TreeMap<String, KeyValue> kvs, String from, String to) {
    String start = from == null ? "" : from;
    if (to == null) {
      return kvs.tailMap(start, true);
    }
    if (to.compareTo(start) <= 0) {
      return Collections.emptyNavigableMap();
    }
    return kvs.subMap(start, true, to, false);
  }

  /** The current keys {@code filter} matches. */
  static Iterable<KeyValue> matching(State state, Filter filter) {
    if (filter.key() != null) {
      KeyValue kv = state.kvs().get(filter.key());
      return kv == null ? List.of() : List.of(kv);
    }
    return select(state.kvs(), filter.prefix(), Keys.prefixEnd(filter.prefix())).values();
  }

  /** The changes after {@code revision} that {@code filter} matches, oldest first. */
  static List<Change> changesAfter(State state, long revision, Filter filter) {
    List<Change> history = state.history();
    int i = history.size();
    while (i > 0 && history.get(i - 1).revision() > revision) {
      i--;
    }
    List<Change> matched = new ArrayList<>();
    for (Change c : history.subList(i, history.size())) {
      if (filter.matches(c.key())) {
        matched.add(c);
      }
    }
    return matched;
  }
}
