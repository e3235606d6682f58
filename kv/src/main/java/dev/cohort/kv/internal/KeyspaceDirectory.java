package dev.cohort.kv.internal;

import dev.cohort.kv.KeyspaceInfo;
import dev.cohort.kv.KeyspaceSpec;
import dev.cohort.kv.KeyspaceStats;
import dev.cohort.kv.Kv;
import dev.cohort.kv.KvError;
import dev.cohort.kv.KvException;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.ap.internal.ApKvRouter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The keyspace directory of one node: which settings (mode, incarnation, partition count) a
 * keyspace has, answered from a cache in front of the {@link KeyspaceRegistry} entity; which
 * partition entity holds a key or may hold a prefix's keys; and the keyspace operations of {@code
 * Kv} (create, get, stats, list, delete).
 *
 * <p>Invariants: resolving {@code default} asks nothing, its settings come from configuration; a
 * cached entry is dropped when this node deletes the keyspace or when a partition answers {@code
 * keyspace_not_found}, and an operation that ran on cached settings then runs once more, with fresh
 * ones — never more than once; a key's partition entity id is part of the storage format ({@link
 * Keys#partitionOf}, {@link KvPartition#entityId}). Thread-safe: the cache is a concurrent map, and
 * a stale entry is harmless because partitions of a deleted incarnation refuse every command.
 */
final class KeyspaceDirectory {
  private final KvSettings settings;
  private final EntityAsks asks;
  private final MeteredCalls calls;
  private final ApKvRouter ap;
  private final Map<String, KeyspaceInfo> keyspaces = new ConcurrentHashMap<>();
  private final KeyspaceInfo defaultKeyspace;

  KeyspaceDirectory(KvSettings settings, EntityAsks asks, MeteredCalls calls, ApKvRouter ap) {
    this.settings = settings;
    this.asks = asks;
    this.calls = calls;
    this.ap = ap;
    this.defaultKeyspace = KeyspaceRegistry.defaultKeyspace(settings);
  }

  // ------------------------------------------------------------------------------ resolving

  /** The keyspace's settings; throws at once for a bad name. */
  CompletionStage<KeyspaceInfo> resolve(String keyspace) {
    Keys.checkKeyspaceName(keyspace);
    if (Kv.DEFAULT_KEYSPACE.equals(keyspace)) {
      return CompletableFuture.completedFuture(defaultKeyspace);
    }
    KeyspaceInfo cached = keyspaces.get(keyspace);
    if (cached != null) {
      return CompletableFuture.completedFuture(cached);
    }
    return asks.<KeyspaceRegistry.Command, KeyspaceRegistry.Reply>ask(
            asks.registry(), r -> new KeyspaceRegistry.Get(keyspace, r))
        .thenApply(
            reply -> {
              KeyspaceInfo info = registryAnswer(reply);
              keyspaces.put(keyspace, info);
              return info;
            });
  }

  /**
   * Runs {@code body} with the keyspace's settings; when a partition says the keyspace is gone and
   * the settings came from the cache, forgets them and runs once more with fresh ones.
   */
  <T> CompletionStage<T> withKeyspace(
      String keyspace, Function<KeyspaceInfo, CompletionStage<T>> body) {
    boolean cached = keyspaces.containsKey(keyspace);
    return resolve(keyspace)
        .thenCompose(body)
        .handle(
            (value, failure) -> {
              if (failure == null) {
                return CompletableFuture.completedFuture(value);
              }
              KvException e = KvFailures.toKvException(failure);
              if (e.is(KvError.KEYSPACE_NOT_FOUND)
                  && keyspaces.remove(keyspace) != null
                  && cached) {
                return resolve(keyspace).thenCompose(body);
              }
              return CompletableFuture.<T>failedFuture(e);
            })
        .thenCompose(Function.identity());
  }

  /**
   * Runs {@code apPath} when {@code keyspace} is an AP keyspace, else {@code cpPath}, which also
   * reports a bad name or a missing keyspace exactly as before AP keyspaces existed.
   */
  <T> CompletionStage<T> routed(
      String keyspace,
      Function<KeyspaceInfo, CompletionStage<T>> apPath,
      Supplier<CompletionStage<T>> cpPath) {
    CompletionStage<KeyspaceInfo> info;
    try {
      info = resolve(keyspace);
    } catch (RuntimeException e) {
      return cpPath.get();
    }
    return info.handle(
            (ks, failure) -> {
              if (failure != null || !ApKvRouter.isAp(ks)) {
                return cpPath.get();
              }
              try {
                return apPath.apply(ks);
              } catch (RuntimeException e) {
                return CompletableFuture.<T>failedFuture(e);
              }
            })
        .thenCompose(Function.identity());
  }

  private static KeyspaceInfo registryAnswer(KeyspaceRegistry.Reply reply) {
    return switch (reply) {
      case KeyspaceRegistry.Found f -> f.info();
      case KeyspaceRegistry.Rejected r -> throw KvException.of(r.rejection());
      case KeyspaceRegistry.Listed l -> throw new IllegalStateException("unexpected " + l);
    };
  }

  // ------------------------------------------------------------------------------ placement

  static String entityId(KeyspaceInfo ks, int partition) {
    return KvPartition.entityId(ks.name(), ks.incarnation(), ks.partitions(), partition);
  }

  static String entityIdOfKey(KeyspaceInfo ks, String key) {
    return entityId(ks, Keys.partitionOf(key, ks.partitions()));
  }

  /** The partitions that may hold keys starting with {@code prefix} (all for an empty one). */
  static List<Integer> scope(KeyspaceInfo ks, String prefix) {
    int pinned = Keys.partitionOfPrefix(prefix, ks.partitions());
    if (pinned >= 0) {
      return List.of(pinned);
    }
    List<Integer> all = new ArrayList<>(ks.partitions());
    for (int p = 0; p < ks.partitions(); p++) {
      all.add(p);
    }
    return all;
  }

  // ------------------------------------------------------------------------------ operations

  CompletionStage<KeyspaceInfo> createKeyspace(String name, KeyspaceSpec spec) {
    return calls.call(
        name,
        "keyspace_create",
        () -> {
          Keys.checkKeyspaceName(name);
          if (spec == null) {
            throw KvError.INVALID_REQUEST.exception("keyspace settings are missing");
          }
          String mode = spec.mode() == null ? "cp" : spec.mode();
          // AP keyspaces have no partitions: their keys spread over cohort.kv.ap.buckets buckets.
          int partitions =
              ApKvRouter.MODE.equals(mode)
                  ? 0
                  : spec.partitions() == 0 ? settings.defaultPartitions() : spec.partitions();
          return asks.<KeyspaceRegistry.Command, KeyspaceRegistry.Reply>ask(
                  asks.registry(), r -> new KeyspaceRegistry.Create(name, mode, partitions, r))
              .thenApply(KeyspaceDirectory::registryAnswer);
        });
  }

  CompletionStage<KeyspaceInfo> keyspace(String name) {
    return calls.call(
        name,
        "keyspace_get",
        () -> {
          Keys.checkKeyspaceName(name);
          return asks.<KeyspaceRegistry.Command, KeyspaceRegistry.Reply>ask(
                  asks.registry(), r -> new KeyspaceRegistry.Get(name, r))
              .thenApply(KeyspaceDirectory::registryAnswer);
        });
  }

  CompletionStage<KeyspaceStats> keyspaceStats(String name) {
    return calls.call(
        name,
        "keyspace_stats",
        () ->
            keyspace(name)
                .thenCompose(
                    info -> {
                      if (ApKvRouter.isAp(info)) {
                        return ap.stats(info);
                      }
                      List<CompletionStage<KvPartition.StatsReply>> parts = new ArrayList<>();
                      for (int p = 0; p < info.partitions(); p++) {
                        parts.add(
                            asks.read(entityId(info, p), KvPartition.Stats::new)
                                .thenApply(
                                    r -> EntityAsks.expect(r, KvPartition.StatsReply.class)));
                      }
                      return EntityAsks.all(parts)
                          .thenApply(
                              replies -> {
                                long keys =
                                    replies.stream().mapToLong(KvPartition.StatsReply::keys).sum();
                                long bytes =
                                    replies.stream().mapToLong(KvPartition.StatsReply::bytes).sum();
                                String token =
                                    Tokens.resume(
                                        info.incarnation(),
                                        replies.stream()
                                            .map(KvPartition.StatsReply::header)
                                            .toList());
                                return new KeyspaceStats(info, keys, bytes, token);
                              });
                    }));
  }

  CompletionStage<List<KeyspaceInfo>> keyspaces() {
    return calls.call(
        "",
        "keyspace_list",
        () ->
            asks.<KeyspaceRegistry.Command, KeyspaceRegistry.Reply>ask(
                    asks.registry(), KeyspaceRegistry.ListAll::new)
                .thenApply(
                    reply ->
                        switch (reply) {
                          case KeyspaceRegistry.Listed l -> l.keyspaces();
                          case KeyspaceRegistry.Rejected r -> throw KvException.of(r.rejection());
                          case KeyspaceRegistry.Found f ->
                              throw new IllegalStateException("unexpected " + f);
                        }));
  }

  CompletionStage<Void> deleteKeyspace(String name) {
    return calls.call(
        name,
        "keyspace_delete",
        () -> {
          Keys.checkKeyspaceName(name);
          return asks.<KeyspaceRegistry.Command, KeyspaceRegistry.Reply>ask(
                  asks.registry(), r -> new KeyspaceRegistry.Delete(name, r))
              .thenApply(KeyspaceDirectory::registryAnswer)
              .thenCompose(
                  info -> {
                    keyspaces.remove(name);
                    if (ApKvRouter.isAp(info)) {
                      // Best effort: the registry no longer names it, so its buckets are
                      // unreachable
                      // even if some are not deleted now.
                      return ap.drop(info).exceptionally(e -> null);
                    }
                    // The catalogue no longer names the keyspace; dropping its partitions makes
                    // nodes
                    // with a stale cache notice, and frees nothing yet (see README: limits).
                    List<CompletionStage<KvPartition.Reply>> drops = new ArrayList<>();
                    for (int p = 0; p < info.partitions(); p++) {
                      drops.add(asks.read(entityId(info, p), KvPartition.Drop::new));
                    }
                    return EntityAsks.all(drops).thenApply(x -> (Void) null);
                  });
        });
  }
}
