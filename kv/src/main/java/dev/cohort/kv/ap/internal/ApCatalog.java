package dev.cohort.kv.ap.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This node's copy of the replication factor of every AP keyspace incarnation, and of the nodes
 * that have streamed their ranges ({@link #ready}), kept in the node's {@link ApStore} and spread
 * by the coordinator that created the keyspace and by every node's periodic exchange ({@link
 * ApMaintenance}). An entry is fixed once written (a keyspace's replication factor never changes; a
 * node that has streamed stays ready), so merging copies is a union and every node converges to the
 * same catalog. Ready marks are written to disk only while the store is open (and when it opens),
 * so that a node that never serves an AP keyspace never opens it. Thread-safe.
 */
final class ApCatalog {
  private final ApStore store;
  private final Map<String, Integer> factors = new ConcurrentHashMap<>();
  private volatile boolean loaded;
  private volatile boolean heardFromPeer;
  private volatile boolean anyReady;

  /** Ids of ready marks: {@code ~ready/<node address>:0} (no keyspace name starts with '~'). */
  private static final String READY = "~ready/";

  ApCatalog(ApStore store) {
    this.store = store;
  }

  /** Reads the stored catalog on first use (which opens the store: see {@link ApStore#open}). */
  private void load() {
    if (!loaded) {
      synchronized (this) {
        if (!loaded) {
          Map<String, Integer> stored = store.catalog();
          stored.forEach(this::remember);
          loaded = true;
          factors.forEach(
              (id, value) -> {
                if (!stored.containsKey(id)) {
                  persist(id, value);
                }
              });
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

  /** The known entries (ready marks included). */
  Map<String, Integer> snapshot() {
    if (store.isOpen()) {
      load();
    }
    return Map.copyOf(factors);
  }

  /** The keyspace incarnations this node knows, by {@code name:incarnation}, with their factors. */
  Map<String, Integer> keyspaces() {
    Map<String, Integer> keyspaces = new HashMap<>(snapshot());
    keyspaces.keySet().removeIf(id -> id.startsWith(READY));
    return keyspaces;
  }

  static String keyspaceOf(String id) {
    return id.substring(0, id.lastIndexOf(':'));
  }

  static long incarnationOf(String id) {
    return Long.parseLong(id.substring(id.lastIndexOf(':') + 1));
  }

  /** Whether {@code node} has streamed the ranges it replicates (or needed none). */
  boolean ready(String node) {
    if (store.isOpen()) {
      load();
    }
    return factors.containsKey(READY + node + ":0");
  }

  /** Whether any node is known to be ready. */
  boolean anyReady() {
    if (store.isOpen()) {
      load();
    }
    return anyReady;
  }

  /** The catalog entry that marks {@code node} ready, as sent to other nodes. */
  static Map<String, Integer> readyMark(String node) {
    return Map.of(READY + node + ":0", 1);
  }

  /** Marks {@code node} ready; completes once on disk (at once when the store is not open). */
  CompletableFuture<Void> markReady(String node) {
    return merge(readyMark(node));
  }

  /** Whether another node has sent this node its catalog since it started. */
  boolean heardFromPeer() {
    return heardFromPeer;
  }

  /** Merges a catalog another node sent. */
  CompletableFuture<Void> mergeFromPeer(Map<String, Integer> entries) {
    CompletableFuture<Void> stored = merge(entries);
    // Only now: merge puts the entries in memory before it returns, and a node deciding what to
    // stream must see them once it sees this flag.
    heardFromPeer = true;
    return stored;
  }

  /** Adds the entries this node did not know; completes once they are on disk. */
  CompletableFuture<Void> merge(Map<String, Integer> entries) {
    if (entries.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    boolean marksOnly = entries.keySet().stream().allMatch(id -> id.startsWith(READY));
    if (!marksOnly || store.isOpen()) {
      load();
    }
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    entries.forEach(
        (id, rf) -> {
          if (remember(id, rf) && loaded) {
            writes.add(persist(id, rf));
          }
        });
    return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new));
  }

  /** Adds an entry to memory; answers whether it was new. */
  private boolean remember(String id, int value) {
    if (factors.putIfAbsent(id, value) != null) {
      return false;
    }
    if (id.startsWith(READY)) {
      anyReady = true;
    }
    return true;
  }

  private CompletableFuture<Void> persist(String id, int value) {
    return store.putCatalog(keyspaceOf(id), incarnationOf(id), value);
  }
}
