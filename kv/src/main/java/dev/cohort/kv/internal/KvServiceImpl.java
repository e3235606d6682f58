package dev.cohort.kv.internal;

import dev.cohort.kv.Compare;
import dev.cohort.kv.DeleteResult;
import dev.cohort.kv.GetResult;
import dev.cohort.kv.Header;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KeyspaceInfo;
import dev.cohort.kv.KeyspaceSpec;
import dev.cohort.kv.KeyspaceStats;
import dev.cohort.kv.Kv;
import dev.cohort.kv.KvException;
import dev.cohort.kv.KvLock;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.Leader;
import dev.cohort.kv.LeaseGrant;
import dev.cohort.kv.LeaseInfo;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.PutResult;
import dev.cohort.kv.RangeRequest;
import dev.cohort.kv.RangeResult;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnOpResult;
import dev.cohort.kv.TxnRequest;
import dev.cohort.kv.TxnResult;
import dev.cohort.kv.WatchEvent;
import dev.cohort.kv.WatchRequest;
import dev.cohort.kv.ap.ApService;
import dev.cohort.kv.ap.Consistency;
import dev.cohort.kv.ap.internal.ApKvRouter;
import dev.cohort.persistence.ErrorKind;
import dev.cohort.persistence.Rejection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The embedded API: validates at the edge, routes each key to its partition entity (writes
 * through the node's {@link PartitionBatcher}, reads directly), fans multi-partition operations
 * out and merges them, and records the request metrics. Holds no state of its own beyond a cache
 * of keyspace settings, which a {@code keyspace_not_found} from a partition invalidates.
 * Thread-safe.
 */
public final class KvServiceImpl implements Kv {
  private final ActorSystem<?> system;
  private final KvSettings settings;
  private final KvMetrics metrics;
  private final EntityAsks asks;
  private final MeteredCalls calls;
  private final KeyspaceDirectory directory;
  private final Leases leases;
  private final EdgeChecks checks;
  private final TxnRouter txns;
  private final CpKeys keys;
  private final Watches watches;
  /** Serves the operations on AP keyspaces (mode "ap"). */
  private final ApKvRouter ap;

  private KvServiceImpl(ActorSystem<?> system, KvSettings settings) {
    this.system = system;
    this.settings = settings;
    this.metrics = KvMetrics.get(system);
    this.calls = new MeteredCalls(metrics);
    KeyspaceRegistry.init(system, settings);
    KvPartition.init(system, settings);
    KvLessor.init(system, settings);
    TxnCoordinator.init(system, settings);
    this.ap = new ApKvRouter(ApService.start(system));
    this.asks = new EntityAsks(system, settings,
        system.systemActorOf(PartitionBatcher.create(settings), "kv-batcher", Props.empty()));
    system.systemActorOf(LeaseClock.create(settings), "kv-lease-clock", Props.empty());
    this.directory = new KeyspaceDirectory(settings, asks, calls, ap);
    this.leases = new Leases(settings, asks, calls);
    this.checks = new EdgeChecks(settings);
    this.txns = new TxnRouter(settings, asks, calls, checks, directory, leases);
    this.keys = new CpKeys(asks, calls, checks, directory, txns);
    this.watches = new Watches(system, settings, metrics, calls, directory, ap);
  }

  public static Kv start(ActorSystem<?> system, KvSettings settings) {
    return new KvServiceImpl(system, settings);
  }

  // ------------------------------------------------------------------------------ keyspaces

  @Override
  public CompletionStage<KeyspaceInfo> createKeyspace(String name, KeyspaceSpec spec) {
    return directory.createKeyspace(name, spec);
  }

  @Override
  public CompletionStage<KeyspaceInfo> keyspace(String name) {
    return directory.keyspace(name);
  }

  @Override
  public CompletionStage<KeyspaceStats> keyspaceStats(String name) {
    return directory.keyspaceStats(name);
  }

  @Override
  public CompletionStage<List<KeyspaceInfo>> keyspaces() {
    return directory.keyspaces();
  }

  @Override
  public CompletionStage<Void> deleteKeyspace(String name) {
    return directory.deleteKeyspace(name);
  }

  // ------------------------------------------------------------------------------ keys

  @Override
  public CompletionStage<PutResult> put(
      String keyspace, String key, byte[] value, PutOptions options) {
    return put(keyspace, key, value, options, null, 0);
  }

  @Override
  public CompletionStage<PutResult> put(
      String keyspace, String key, byte[] value, PutOptions options, Consistency consistency,
      long ttlSeconds) {
    return directory.routed(keyspace,
        ks -> ap.put(ks, key, value, options, consistency, ttlSeconds),
        () -> keys.put(keyspace, key, value, options, ttlSeconds));
  }

  @Override
  public CompletionStage<GetResult> get(String keyspace, String key) {
    return get(keyspace, key, 0);
  }

  @Override
  public CompletionStage<GetResult> get(String keyspace, String key, Consistency consistency) {
    return directory.routed(keyspace,
        ks -> ap.get(ks, key, 0, consistency), () -> keys.get(keyspace, key, 0));
  }

  @Override
  public CompletionStage<GetResult> get(String keyspace, String key, long revision) {
    return directory.routed(keyspace,
        ks -> ap.get(ks, key, revision, null), () -> keys.get(keyspace, key, revision));
  }

  @Override
  public CompletionStage<RangeResult> range(String keyspace, RangeRequest request) {
    return range(keyspace, request, null);
  }

  @Override
  public CompletionStage<RangeResult> range(
      String keyspace, RangeRequest request, Consistency consistency) {
    return directory.routed(keyspace,
        ks -> apRange(ks, request, consistency), () -> keys.range(keyspace, request));
  }

  private CompletionStage<RangeResult> apRange(
      KeyspaceInfo ks, RangeRequest request, Consistency consistency) {
    int limit = checks.rangeLimit(request);
    String after = request.page() == null || request.page().isEmpty()
        ? null : Tokens.parsePage(request.page());
    return ap.range(ks, request, limit, after, Tokens::page, consistency);
  }

  @Override
  public CompletionStage<DeleteResult> delete(String keyspace, String key, boolean prevKv) {
    return delete(keyspace, key, prevKv, null);
  }

  @Override
  public CompletionStage<DeleteResult> delete(
      String keyspace, String key, boolean prevKv, Consistency consistency) {
    return directory.routed(keyspace,
        ks -> ap.delete(ks, key, prevKv, consistency), () -> keys.delete(keyspace, key, prevKv));
  }

  @Override
  public CompletionStage<DeleteResult> deletePrefix(String keyspace, String prefix, boolean prevKv) {
    return directory.routed(keyspace, ks -> ap.deletePrefix(ks, prefix, prevKv, null),
        () -> keys.deletePrefix(keyspace, prefix, prevKv));
  }

  @Override
  public CompletionStage<TxnResult> txn(String keyspace, TxnRequest txn) {
    return directory.routed(keyspace,
        ks -> CompletableFuture.failedFuture(ApKvRouter.notSupported(ks.name(), "a transaction",
            "use a CP keyspace ({\"mode\":\"cp\"}) for compare-and-swap transactions")),
        () -> txns.txn(keyspace, txn));
  }

  @Override
  public CompletionStage<String> resumeToken(String keyspace, List<Header> headers) {
    return keys.resumeToken(keyspace, headers);
  }

  // ------------------------------------------------------------------------------ leases

  @Override
  public CompletionStage<LeaseGrant> grantLease(Duration ttl) {
    return leases.grant(ttl);
  }

  @Override
  public CompletionStage<LeaseInfo> keepAlive(long leaseId) {
    return leases.keepAlive(leaseId);
  }

  @Override
  public CompletionStage<LeaseInfo> lease(long leaseId) {
    return leases.lease(leaseId);
  }

  @Override
  public CompletionStage<Void> revokeLease(long leaseId) {
    return leases.revoke(leaseId);
  }

  // ------------------------------------------------------------------------------ watches

  @Override
  public Source<WatchEvent, NotUsed> watch(String keyspace, WatchRequest request) {
    return watches.watch(keyspace, request);
  }

  // ------------------------------------------------------------------------------ locks

  private static void checkName(String name, String code) {
    if (name == null || !name.matches("[A-Za-z0-9._-]{1,128}")) {
      throw KvException.invalid(code, "name '" + name + "' must match [A-Za-z0-9._-]{1,128}");
    }
  }

  private String lockPrefix(String name) {
    return settings.locksPrefix() + "{" + name + "}/";
  }

  private String electionPrefix(String name) {
    return settings.electionPrefix() + "{" + name + "}/";
  }

  /**
   * The queue both locks and elections use: a key under the prefix with a fresh lease; the key
   * whose create revision is lowest holds the lock. Fails with {@code timeoutCode} after {@code
   * wait}, having removed its key.
   */
  private CompletionStage<KvPartition.Owner> enqueue(
      String prefix, byte[] value, Duration ttl, Duration wait, String timeoutCode) {
    if (wait == null || wait.isNegative()) {
      throw KvException.invalid("invalid_request", "wait must not be negative");
    }
    long deadline = System.nanoTime() + wait.toNanos();
    return grantLease(ttl).thenCompose(grant -> {
      String key = prefix + Long.toHexString(grant.id());
      return put(settings.locksKeyspace(), key, value, PutOptions.withLease(grant.id()))
          .thenCompose(put -> directory.resolve(settings.locksKeyspace()))
          .thenCompose(ks -> awaitFirst(KeyspaceDirectory.entityIdOfKey(ks, key), prefix, key, deadline))
          .handle((owner, failure) -> {
            if (failure == null) {
              return CompletableFuture.completedFuture(owner);
            }
            KvException e = AskFailures.toKvException(failure);
            KvException reported = e.kind() == ErrorKind.TIMEOUT || e.code().equals("lock_not_found")
                ? KvException.conflict(timeoutCode, "not acquired within " + wait.toMillis()
                    + " ms" + (e.code().equals("lock_not_found") ? " (its lease expired)" : ""))
                : e;
            return revokeLease(grant.id()).handle((x, y) -> (KvPartition.Owner) null)
                .thenCompose(x -> CompletableFuture.<KvPartition.Owner>failedFuture(reported));
          })
          .thenCompose(Function.identity());
    });
  }

  /** Asks the partition, in slices of at most the ask timeout, until first or the deadline. */
  private CompletionStage<KvPartition.Owner> awaitFirst(
      String entityId, String prefix, String key, long deadline) {
    long left = deadline - System.nanoTime();
    boolean waits = left > 0;
    // Without time left the partition is asked once, to answer at once.
    Duration slice = waits
        ? Duration.ofNanos(Math.min(left, settings.askTimeout().toNanos()))
        : settings.askTimeout();
    return asks.<KvPartition.Command, KvPartition.Reply>ask(
            asks.partition(entityId), r -> new KvPartition.AwaitFirst(prefix, key, waits, r), slice)
        .handle((reply, failure) -> {
          if (failure == null) {
            if (reply instanceof KvPartition.Rejected r && r.rejection().code().equals("not_first")) {
              return CompletableFuture.<KvPartition.Owner>failedFuture(
                  new TimeoutException("not first when the wait ended"));
            }
            return CompletableFuture.completedFuture(EntityAsks.expect(reply, KvPartition.Owner.class));
          }
          if (AskFailures.toKvException(failure).kind() == ErrorKind.TIMEOUT && System.nanoTime() < deadline) {
            return awaitFirst(entityId, prefix, key, deadline);
          }
          return CompletableFuture.<KvPartition.Owner>failedFuture(failure);
        })
        .thenCompose(Function.identity());
  }

  @Override
  public CompletionStage<KvLock> lock(String name, Duration ttl, Duration wait) {
    long start = System.nanoTime();
    return calls.call(settings.locksKeyspace(), "lock", () -> {
      checkName(name, "invalid_lock_name");
      return enqueue(lockPrefix(name), new byte[0], ttl, wait, "lock_timeout")
          .thenApply(owner -> {
            metrics.lockWait(start);
            return (KvLock) new Lock(name, owner.kv().key(), owner.kv().lease(),
                owner.kv().createRevision());
          });
    });
  }

  @Override
  public CompletionStage<Void> unlock(String name, String key) {
    return calls.call(settings.locksKeyspace(), "unlock", () -> {
      checkName(name, "invalid_lock_name");
      if (key == null || !key.startsWith(lockPrefix(name))) {
        throw KvException.notFound("lock_not_found", "'" + key + "' is not a key of lock " + name);
      }
      return get(settings.locksKeyspace(), key)
          .handle((got, failure) -> {
            if (failure != null) {
              KvException e = AskFailures.toKvException(failure);
              throw e.code().equals("key_not_found")
                  ? KvException.notFound("lock_not_found", "lock " + name + " is not held by " + key)
                  : e;
            }
            return got.kv().lease();
          })
          .thenCompose(this::revokeLease);
    });
  }

  /** A held lock; closing it revokes its lease. */
  private final class Lock implements KvLock {
    private final String name;
    private final String key;
    private final long lease;
    private final long fencingToken;

    Lock(String name, String key, long lease, long fencingToken) {
      this.name = name;
      this.key = key;
      this.lease = lease;
      this.fencingToken = fencingToken;
    }

    @Override public String name() {
      return name;
    }

    @Override public String key() {
      return key;
    }

    @Override public long lease() {
      return lease;
    }

    @Override public long fencingToken() {
      return fencingToken;
    }

    @Override
    public void close() {
      try {
        revokeLease(lease).toCompletableFuture().join();
      } catch (CompletionException e) {
        KvException error = AskFailures.toKvException(e);
        if (!error.code().equals("lease_not_found")) {
          throw error;
        }
      }
    }

    @Override
    public String toString() {
      return "KvLock[" + name + ", key=" + key + ", fencingToken=" + fencingToken + "]";
    }
  }

  // ------------------------------------------------------------------------------ elections

  @Override
  public CompletionStage<Leader> campaign(String name, byte[] value, Duration ttl, Duration wait) {
    return calls.call(settings.locksKeyspace(), "campaign", () -> {
      checkName(name, "invalid_election_name");
      checks.value(value);
      return enqueue(electionPrefix(name), value, ttl, wait, "election_timeout")
          .thenApply(owner -> leaderOf(name, owner.kv()));
    });
  }

  private static Leader leaderOf(String name, KeyValue kv) {
    return new Leader(name, kv.key(), kv.value(), kv.lease(), kv.createRevision());
  }

  @Override
  public CompletionStage<Leader> proclaim(Leader leadership, byte[] value) {
    return calls.call(settings.locksKeyspace(), "proclaim", () -> {
      if (leadership == null) {
        throw KvException.invalid("invalid_request", "leadership is missing");
      }
      checks.value(value);
      TxnRequest txn = new TxnRequest(
          List.of(Compare.createRevision(leadership.key(), Compare.Op.EQUAL, leadership.term())),
          List.of(new TxnOp.Put(leadership.key(), value, new PutOptions(0, false, true))),
          List.of());
      return txn(settings.locksKeyspace(), txn).thenApply(r -> {
        if (!r.succeeded()) {
          throw KvException.conflict("not_leader",
              "this campaign no longer leads election " + leadership.election());
        }
        return new Leader(leadership.election(), leadership.key(), value, leadership.lease(),
            leadership.term());
      });
    });
  }

  @Override
  public CompletionStage<Void> resign(Leader leadership) {
    return calls.call(settings.locksKeyspace(), "resign", () -> revokeLease(leadership.lease())
        .exceptionally(failure -> {
          KvException e = AskFailures.toKvException(failure);
          if (e.code().equals("lease_not_found")) {
            return null;
          }
          throw e;
        }));
  }

  @Override
  public CompletionStage<Leader> leader(String name) {
    return calls.call(settings.locksKeyspace(), "leader", () -> {
      checkName(name, "invalid_election_name");
      return range(settings.locksKeyspace(), RangeRequest.prefix(electionPrefix(name)))
          .thenApply(r -> r.kvs().stream()
              .min(Comparator.comparingLong(KeyValue::createRevision))
              .map(kv -> leaderOf(name, kv))
              .orElseThrow(() -> KvException.notFound("no_leader",
                  "election " + name + " has no leader")));
    });
  }

  @Override
  public Source<Leader, NotUsed> observe(String name) {
    try {
      checkName(name, "invalid_election_name");
    } catch (KvException e) {
      return Source.failed(e);
    }
    String prefix = electionPrefix(name);
    CompletionStage<Source<Leader, NotUsed>> source =
        range(settings.locksKeyspace(), RangeRequest.prefix(prefix)).thenApply(initial -> {
          TreeMap<String, KeyValue> start = new TreeMap<>();
          initial.kvs().forEach(kv -> start.put(kv.key(), kv));
          Source<Optional<KeyValue>, NotUsed> changes =
              watch(settings.locksKeyspace(), WatchRequest.prefix(prefix).from(initial.token()))
                  .statefulMap(
                      () -> start,
                      (kvs, event) -> {
                        if (event.type() == WatchEvent.Type.DELETE) {
                          kvs.remove(event.kv().key());
                        } else {
                          kvs.put(event.kv().key(), event.kv());
                        }
                        return org.apache.pekko.japi.Pair.create(kvs, lowest(kvs));
                      },
                      kvs -> Optional.empty());
          return Source.single(lowest(start)).concat(changes)
              .statefulMap(
                  () -> new Leader[1],
                  (last, candidate) -> {
                    Leader now = candidate.map(kv -> leaderOf(name, kv)).orElse(null);
                    boolean changed = now != null && (last[0] == null
                        || !last[0].key().equals(now.key())
                        || !java.util.Arrays.equals(last[0].value(), now.value()));
                    last[0] = now;
                    return org.apache.pekko.japi.Pair.create(last, changed ? Optional.of(now) : Optional.<Leader>empty());
                  },
                  last -> Optional.empty())
              .filter(Optional::isPresent)
              .map(Optional::get);
        });
    return AskFailures.lazily(source);
  }

  private static Optional<KeyValue> lowest(TreeMap<String, KeyValue> kvs) {
    return kvs.values().stream().min(Comparator.comparingLong(KeyValue::createRevision));
  }
}
