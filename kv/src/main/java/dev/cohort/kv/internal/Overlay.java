package dev.cohort.kv.internal;

import dev.cohort.kv.KeyValue;
import dev.cohort.kv.internal.KvPartition.DeleteKey;
import dev.cohort.kv.internal.KvPartition.Mutation;
import dev.cohort.kv.internal.KvPartition.PutKv;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The keys of a partition as a batch of writes sees them while it is decided: the persisted keys
 * plus the batch's own writes so far, so that each write of a batch sees the ones before it; a
 * {@link #child} holds one transaction branch's writes on top, so a get after a put in the same
 * branch sees the put, and a refused branch leaves its parent untouched.
 *
 * <p>Invariants: the persisted keys are never changed (deletes are held as a tombstone); {@link
 * #get} answers as if every write held here had been applied in order. Not thread-safe; lives for
 * one command.
 */
final class Overlay {
  private static final KeyValue TOMBSTONE = new KeyValue("", new byte[0], 0, 0, 0, 0);
  private final NavigableMap<String, KeyValue> base;
  private final Overlay parent;
  private final TreeMap<String, KeyValue> own = new TreeMap<>();

  Overlay(TreeMap<String, KeyValue> base) {
    this.base = base;
    this.parent = null;
  }

  private Overlay(Overlay parent) {
    this.base = null;
    this.parent = parent;
  }

  Overlay child() {
    return new Overlay(this);
  }

  KeyValue get(String key) {
    KeyValue v = own.get(key);
    if (v != null) {
      return v == TOMBSTONE ? null : v;
    }
    return parent != null ? parent.get(key) : base.get(key);
  }

  void put(KeyValue kv) {
    own.put(kv.key(), kv);
  }

  void delete(String key) {
    own.put(key, TOMBSTONE);
  }

  /** Applies persisted-to-be mutations to this (top-level) overlay and records the changes. */
  void apply(List<Mutation> mutations, long revision, long at, List<Change> changes) {
    for (Mutation m : mutations) {
      switch (m) {
        case PutKv put -> {
          changes.add(new Change(revision, at, put.kv().key(), put.kv(), get(put.kv().key())));
          own.put(put.kv().key(), put.kv());
        }
        case DeleteKey delete -> {
          KeyValue prev = get(delete.key());
          if (prev != null) {
            changes.add(new Change(revision, at, delete.key(), null, prev));
          }
          own.put(delete.key(), TOMBSTONE);
        }
      }
    }
  }

  Set<String> keysIn(String from, String to) {
    TreeSet<String> keys = new TreeSet<>();
    collectKeys(from, to, keys);
    keys.removeIf(k -> get(k) == null);
    return keys;
  }

  private void collectKeys(String from, String to, Set<String> into) {
    into.addAll(PartitionStore.select(own, from, to).keySet());
    if (parent != null) {
      parent.collectKeys(from, to, into);
    } else {
      into.addAll(
          (to == null
                  ? base.tailMap(from, true)
                  : to.compareTo(from) <= 0
                      ? Collections.<String, KeyValue>emptyNavigableMap()
                      : base.subMap(from, true, to, false))
              .keySet());
    }
  }

  Set<String> keysWithLease(long lease) {
    LinkedHashMap<String, Boolean> keys = new LinkedHashMap<>();
    collectLease(lease, keys);
    Set<String> result = new TreeSet<>();
    for (String k : keys.keySet()) {
      KeyValue v = get(k);
      if (v != null && v.lease() == lease) {
        result.add(k);
      }
    }
    return result;
  }

  private void collectLease(long lease, Map<String, Boolean> into) {
    for (KeyValue kv : own.values()) {
      if (kv != TOMBSTONE && kv.lease() == lease) {
        into.put(kv.key(), Boolean.TRUE);
      }
    }
    if (parent != null) {
      parent.collectLease(lease, into);
    } else {
      for (KeyValue kv : base.values()) {
        if (kv.lease() == lease) {
          into.put(kv.key(), Boolean.TRUE);
        }
      }
    }
  }
}
