package dev.cohort.kv.ap.internal;

import dev.cohort.kv.KvError;
import dev.cohort.kv.KvException;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.ap.ApEndpoints;
import dev.cohort.kv.ap.ApKeyspace;
import dev.cohort.kv.ap.ApKeyspaces;
import dev.cohort.kv.ap.ApRangeResult;
import dev.cohort.kv.ap.ApRepairResult;
import dev.cohort.kv.ap.ApSettings;
import dev.cohort.kv.ap.ApValue;
import dev.cohort.kv.ap.ApWatchEvent;
import dev.cohort.kv.ap.ApWriteResult;
import dev.cohort.kv.ap.Consistency;
import dev.cohort.observability.Metrics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The embedded AP keyspace API of one node: validates at the edge, places each key on the ring
 * ({@link ApRing}), and hands reads and writes to the {@link ApCoordinator}. It starts the node's
 * parts — the store under {@code <data-dir>/ap} (after importing data of the Distributed Data
 * version, {@link ApLegacyImport}), the catalog of replication factors, the replica actor and the
 * maintenance actor — and closes the store when the node shuts down.
 *
 * <p>Timestamps come from the node's {@link HybridLogicalClock}, which observes every timestamp a
 * replica answers (bounded by {@code max-clock-offset}). Thread-safe.
 */
public final class ApKeyspacesImpl implements ApKeyspaces {
  private static final Pattern KEYSPACE_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
  static final int MAX_REPLICATION_FACTOR = 15;

  private final ActorSystem<?> system;
  private final ApSettings settings;
  private final HybridLogicalClock clock;
  private final String self;
  private final ApMetrics metrics;
  private final ApStore store;
  private final ApCatalog catalog;
  private final ApRing ring;
  private final ApCoordinator coordinator;
  private final ApRangeReader ranges;
  private final ApRepair repairs;

  private ApKeyspacesImpl(ActorSystem<?> system, ApSettings settings) {
    this.system = system;
    this.settings = settings;
    this.clock = HybridLogicalClock.system(settings.maxClockOffset().toMillis());
    Cluster cluster = Cluster.get(Adapter.toClassic(system));
    this.self = cluster.selfAddress().toString();
    Executor io = system.dispatchers().lookup(DispatcherSelector.blocking());
    this.store =
        ApStore.open(settings.storeDirectory(), settings.sync(), system.executionContext());
    CoordinatedShutdown.get(Adapter.toClassic(system))
        .addTask(
            CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "kv-ap-store-close",
            () -> {
              store.close();
              return CompletableFuture.completedFuture(Done.getInstance());
            });
    ApLegacyImport.run(settings.legacyDirectory(), store, system);
    this.metrics =
        new ApMetrics(
            Metrics.get(system),
            store::hintsPending,
            () -> {
              try {
                return store.diskBytes();
              } catch (IllegalStateException closed) {
                return 0;
              }
            });
    this.catalog = new ApCatalog(store);
    this.ring =
        new ApRing(
            cluster,
            catalog,
            settings.virtualNodes(),
            settings.hintWindow().toMillis(),
            settings.streamingSettle().toMillis(),
            System::currentTimeMillis);
    this.coordinator = new ApCoordinator(system, settings, self, ring, store, clock, metrics);
    this.ranges = new ApRangeReader(coordinator, ring, store, settings);
    this.repairs = new ApRepair(coordinator, ring, store, settings, metrics, io);
    ApStreaming streaming =
        new ApStreaming(coordinator, ring, catalog, store, repairs, this::replicationFactor);
    streaming.onDecommission(system);
    system.systemActorOf(
        ApReplica.create(store, catalog, ring, self, io, coordinator::observe),
        ApReplica.NAME,
        Props.empty());
    system.systemActorOf(
        ApMaintenance.create(
            settings,
            store,
            catalog,
            ring,
            coordinator,
            repairs,
            streaming,
            metrics,
            io,
            this::replicationFactor),
        "kv-ap-maintenance",
        Props.empty());
  }

  public static ApKeyspaces start(ActorSystem<?> system, ApSettings settings) {
    return new ApKeyspacesImpl(system, settings);
  }

  @Override
  public ApSettings settings() {
    return settings;
  }

  @Override
  public ApKeyspace keyspace(String name, long incarnation) {
    checkName(name);
    return new Keyspace(name, incarnation);
  }

  private static void checkName(String name) {
    if (name == null || !KEYSPACE_NAME.matcher(name).matches()) {
      throw KvError.INVALID_KEYSPACE_NAME.exception(
          "keyspace name '" + name + "' must match [a-z0-9][a-z0-9._-]{0,63}");
    }
  }

  /**
   * This node's stored entry of a key, read straight from its store without coordination (null:
   * none): for operators' tools and tests that look at one replica.
   */
  public ApEntry localEntry(String keyspace, long incarnation, String key) {
    return store.get(keyspace, incarnation, key);
  }

  /**
   * The latest timestamp this node's clock issued or observed, without advancing it: for tests and
   * diagnostics of timestamp order.
   */
  public long clockTimestamp() {
    return clock.current();
  }

  /**
   * Merges {@code entry} into this node's store only, bypassing coordination and hints: for tests
   * that break a replica on purpose and for repair tooling. Completes once it is on disk.
   */
  public CompletionStage<Boolean> writeLocal(
      String keyspace, long incarnation, String key, ApEntry entry) {
    return store.apply(keyspace, incarnation, key, entry).thenApply(ApStore.Applied::changed);
  }

  /** This node's address as the ring names it. */
  public String self() {
    return self;
  }

  /** Whether {@code node} has streamed its ranges, as this node knows (reads use it). */
  public boolean streamed(String node) {
    return catalog.ready(node);
  }

  /** Hints this node keeps for other replicas. */
  public long hintsPending() {
    return store.hintsPending();
  }

  /** The keyspace's recorded replication factor, else the configured default. */
  int replicationFactor(String name, long incarnation) {
    Integer rf = catalog.replicationFactor(name, incarnation);
    return rf != null ? rf : settings.defaultReplicationFactor();
  }

  @Override
  public CompletionStage<Integer> configure(String name, long incarnation, int replicationFactor) {
    try {
      checkName(name);
      if (replicationFactor < 0 || replicationFactor > MAX_REPLICATION_FACTOR) {
        throw KvError.INVALID_REPLICATION_FACTOR.exception(
            "replicationFactor must be within"
                + " 1.."
                + MAX_REPLICATION_FACTOR
                + " (0 or absent: min("
                + settings.defaultReplicationFactor()
                + ", cluster size)), got "
                + replicationFactor);
      }
    } catch (KvException e) {
      return CompletableFuture.failedFuture(e);
    }
    Integer known = catalog.replicationFactor(name, incarnation);
    if (known != null) {
      if (replicationFactor != 0 && replicationFactor != known) {
        return CompletableFuture.failedFuture(
            KvError.REPLICATION_FACTOR_CONFLICT.exception(
                "AP keyspace '"
                    + name
                    + "' has replicationFactor "
                    + known
                    + " (fixed at creation),"
                    + " not "
                    + replicationFactor));
      }
      return CompletableFuture.completedFuture(known);
    }
    int rf =
        replicationFactor != 0
            ? replicationFactor
            : Math.min(settings.defaultReplicationFactor(), servingMembers());
    Map<String, Integer> entry = Map.of(ApCatalog.id(name, incarnation), rf);
    // Nodes that miss it now learn it from the periodic catalog exchange.
    return catalog
        .merge(entry)
        .thenCompose(v -> coordinator.spreadCatalog(entry))
        .thenApply(v -> rf);
  }

  private int servingMembers() {
    int n = 0;
    for (Member m : Cluster.get(Adapter.toClassic(system)).state().getMembers()) {
      if (m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp()) {
        n++;
      }
    }
    return Math.max(1, n);
  }

  static KvException toKvException(Throwable failure) {
    return KvException.from(failure, "a replica");
  }

  static ApValue toValue(String key, ApEntry e) {
    return new ApValue(key, e.value(), e.timestamp(), e.writer(), e.expiresAtMillis());
  }

  static void checkKey(String key) {
    if (key == null || key.isEmpty()) {
      throw KvError.INVALID_KEY.exception("key must not be empty");
    }
    int bytes = key.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > KvSettings.MAX_KEY_BYTES) {
      throw KvError.KEY_TOO_LARGE.exception(
          "key of " + bytes + " bytes exceeds " + KvSettings.MAX_KEY_BYTES + " bytes");
    }
  }

  // ---------------------------------------------------------------------------------- keyspace

  private final class Keyspace implements ApKeyspace {
    private final String name;
    private final long incarnation;

    Keyspace(String name, long incarnation) {
      this.name = name;
      this.incarnation = incarnation;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public int replicationFactor() {
      return ApKeyspacesImpl.this.replicationFactor(name, incarnation);
    }

    private List<String> replicas(String key) {
      return ring.placement().replicas(key, replicationFactor());
    }

    private <T> CompletionStage<T> call(
        String op, Consistency c, Supplier<CompletionStage<T>> body) {
      long start = System.nanoTime();
      CompletionStage<T> stage;
      try {
        if (c == null) {
          throw KvError.INVALID_CONSISTENCY.exception("consistency must be one, quorum or all");
        }
        stage = body.get();
      } catch (RuntimeException e) {
        stage = CompletableFuture.failedFuture(e);
      }
      return stage
          .handle(
              (value, failure) -> {
                if (failure == null) {
                  metrics.request(name, op, c, "ok", start);
                  return CompletableFuture.completedFuture(value);
                }
                KvException error = toKvException(failure);
                metrics.request(name, op, c, error.code(), start);
                return CompletableFuture.<T>failedFuture(error);
              })
          .thenCompose(s -> s);
    }

    @Override
    public CompletionStage<ApWriteResult> put(
        String key, byte[] value, long ttlSeconds, Consistency consistency) {
      return call(
          "put",
          consistency,
          () -> {
            checkKey(key);
            if (value == null) {
              throw KvError.INVALID_REQUEST.exception("value is missing");
            }
            if (value.length > settings.maxValueBytes()) {
              throw KvError.VALUE_TOO_LARGE.exception(
                  "value of "
                      + value.length
                      + " bytes exceeds cohort.kv.ap.max-value-bytes = "
                      + settings.maxValueBytes());
            }
            if (ttlSeconds < 0 || ttlSeconds > settings.maxTtl().toSeconds()) {
              throw KvError.INVALID_TTL.exception(
                  "ttlSeconds must be within 0.."
                      + settings.maxTtl().toSeconds()
                      + " (0: no TTL), got "
                      + ttlSeconds);
            }
            byte[] copy = value.clone();
            return write(
                key,
                consistency,
                "put",
                ts -> {
                  long expires =
                      ttlSeconds == 0
                          ? 0
                          : HybridLogicalClock.physicalMillis(ts) + ttlSeconds * 1000;
                  long purge = ttlSeconds == 0 ? 0 : expires + settings.tombstoneTtl().toMillis();
                  return new ApEntry(copy, ts, self, expires, purge);
                });
          });
    }

    @Override
    public CompletionStage<ApWriteResult> delete(String key, Consistency consistency) {
      return call(
          "delete",
          consistency,
          () -> {
            checkKey(key);
            return write(
                key,
                consistency,
                "delete",
                ts ->
                    new ApEntry(
                        null,
                        ts,
                        self,
                        0,
                        HybridLogicalClock.physicalMillis(ts)
                            + settings.tombstoneTtl().toMillis()));
          });
    }

    private CompletionStage<ApWriteResult> write(
        String key, Consistency consistency, String what, LongFunction<ApEntry> entryAt) {
      long ts = clock.now();
      ApEntry entry = entryAt.apply(ts);
      return coordinator
          .write(
              name,
              incarnation,
              ring.writeSet(key, replicationFactor()),
              key,
              entry,
              consistency,
              what + " of key '" + key + "' in AP keyspace '" + name + "'")
          .thenApply(
              previous ->
                  new ApWriteResult(
                      key,
                      ts,
                      previous != null && previous.liveAt(System.currentTimeMillis())
                          ? toValue(key, previous)
                          : null));
    }

    @Override
    public CompletionStage<ApValue> get(String key, Consistency consistency) {
      return call(
          "get",
          consistency,
          () -> {
            checkKey(key);
            return coordinator
                .read(
                    name,
                    incarnation,
                    replicas(key),
                    key,
                    consistency,
                    "read of key '" + key + "' in AP keyspace '" + name + "'")
                .thenApply(
                    e -> {
                      if (e == null || !e.liveAt(System.currentTimeMillis())) {
                        throw KvError.KEY_NOT_FOUND.exception(
                            "key '" + key + "' not found in AP keyspace '" + name + "'");
                      }
                      return toValue(key, e);
                    });
          });
    }

    @Override
    public CompletionStage<ApRangeResult> range(String prefix, int limit, Consistency consistency) {
      return call(
          "range",
          consistency,
          () -> {
            if (prefix == null) {
              throw KvError.INVALID_REQUEST.exception("prefix is missing (use \"\" for all keys)");
            }
            if (limit < 0) {
              throw KvError.INVALID_REQUEST.exception("limit must not be negative");
            }
            return ranges
                .read(name, incarnation, replicationFactor(), prefix, consistency)
                .thenApply(
                    all -> {
                      long now = System.currentTimeMillis();
                      List<ApValue> values = new ArrayList<>();
                      all.forEach(
                          (k, e) -> {
                            if (e.liveAt(now)) {
                              values.add(toValue(k, e));
                            }
                          });
                      boolean more = limit > 0 && values.size() > limit;
                      return new ApRangeResult(
                          List.copyOf(more ? values.subList(0, limit) : values), more);
                    });
          });
    }

    @Override
    public Source<ApWatchEvent, NotUsed> watch(String prefix) {
      if (prefix == null) {
        return Source.failed(KvError.INVALID_REQUEST.exception("prefix is missing"));
      }
      return Source.<ApWatchEvent>queue(settings.watchBufferEvents())
          .watchTermination(
              (queue, done) -> {
                ApStore.Listener listener =
                    (ks, inc, key, entry) -> {
                      if (inc != incarnation || !ks.equals(name) || !key.startsWith(prefix)) {
                        return;
                      }
                      boolean live = entry.liveAt(System.currentTimeMillis());
                      QueueOfferResult offered =
                          queue.offer(
                              new ApWatchEvent(
                                  live ? ApWatchEvent.Type.PUT : ApWatchEvent.Type.DELETE,
                                  key,
                                  live ? entry.value() : null,
                                  entry.timestamp()));
                      if (offered == QueueOfferResult.dropped()) {
                        queue.fail(
                            KvError.WATCH_OVERFLOW.exception(
                                "the watch consumer fell "
                                    + settings.watchBufferEvents()
                                    + " events behind (cohort.kv.ap.watch.buffer-events); watch again"));
                      }
                    };
                store.addListener(listener);
                done.whenComplete((d, failure) -> store.removeListener(listener));
                return NotUsed.getInstance();
              });
    }

    @Override
    public ApEndpoints endpoints(String key) {
      checkKey(key);
      List<ApEndpoints.Replica> replicas = new ArrayList<>();
      for (String node : replicas(key)) {
        replicas.add(new ApEndpoints.Replica(node, node.equals(self) || ring.alive(node)));
      }
      return new ApEndpoints(
          name,
          key,
          Long.toUnsignedString(ApPlacement.token(key)),
          replicationFactor(),
          List.copyOf(replicas));
    }

    @Override
    public CompletionStage<ApRepairResult> repair() {
      return repairs.repair(name, incarnation, replicationFactor());
    }

    @Override
    public CompletionStage<Integer> drop() {
      return call(
          "drop",
          Consistency.ONE,
          () -> {
            List<CompletableFuture<Boolean>> drops = new ArrayList<>();
            for (String node : ring.nodes()) {
              if (node.equals(self)) {
                drops.add(store.drop(name, incarnation).thenApply(v -> true));
              } else if (ring.alive(node)) {
                drops.add(
                    coordinator
                        .<ApReplica.Dropped>ask(node, r -> new ApReplica.Drop(name, incarnation, r))
                        .toCompletableFuture()
                        .handle((d, failure) -> failure == null));
              }
            }
            return CompletableFuture.allOf(drops.toArray(CompletableFuture[]::new))
                .thenApply(v -> (int) drops.stream().filter(CompletableFuture::join).count());
          });
    }
  }
}
