package dev.cohort.kv.ap.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This node's copy of the replication factor of every AP keyspace incarnation, kept in the node's
 * {@link ApStore} and spread by the coordinator that created the keyspace and by every node's
 * periodic exchange ({@link ApMaintenance}). An entry is fixed once written (a keyspace's
 * replication factor never changes), so merging copies is a union and every node converges to the
 * same catalog. Thread-safe.
 */
final class ApCatalog {
  private final ApStore store;
  private final Map<String, Integer> factors = new ConcurrentHashMap<>();
  private volatile boolean loaded;

  ApCatalog(ApStore store) {
    this.store = store;
  }

  /** Reads the stored catalog on first use (which opens the store: see {@link ApStore#open}). */
  private void load() {
    if (!loaded) {
      synchronized (this) {
        if (!loaded) {
          store.catalog().forEach(factors::putIfAbsent);
          loaded = true;
        }
      }
    }
  }

  static String id(String keyspace, long incarnation) {
    return keyspace + ":" + incarnation;
  }

  /** The keyspace incarnation's replication factor, or null when this node has not learnt it. */
  Integer replicationFactor(String keyspace, long incarnation) {
    load();
    return factors.get(id(keyspace, incarnation));
  }

  /** The known entries; empty on a node whose store was never used. */
  Map<String, Integer> snapshot() {
    if (store.isOpen()) {
      load();
    }
    return Map.copyOf(factors);
  }

  /** Adds the entries this node did not know; completes once they are on disk. */
  CompletableFuture<Void> merge(Map<String, Integer> entries) {
    if (entries.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    load();
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    entries.forEach(
        (id, rf) -> {
          if (factors.putIfAbsent(id, rf) == null) {
            int colon = id.lastIndexOf(':');
            writes.add(
                store.putCatalog(
                    id.substring(0, colon), Long.parseLong(id.substring(colon + 1)), rf));
          }
        });
    return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new));
  }
}
