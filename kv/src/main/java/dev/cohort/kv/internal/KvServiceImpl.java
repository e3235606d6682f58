package dev.cohort.kv.internal;

import dev.cohort.kv.DeleteResult;
import dev.cohort.kv.GetResult;
import dev.cohort.kv.Header;
import dev.cohort.kv.KeyspaceInfo;
import dev.cohort.kv.KeyspaceSpec;
import dev.cohort.kv.KeyspaceStats;
import dev.cohort.kv.Kv;
import dev.cohort.kv.KvLock;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.Leader;
import dev.cohort.kv.LeaseGrant;
import dev.cohort.kv.LeaseInfo;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.PutResult;
import dev.cohort.kv.RangeRequest;
import dev.cohort.kv.RangeResult;
import dev.cohort.kv.TxnRequest;
import dev.cohort.kv.TxnResult;
import dev.cohort.kv.WatchEvent;
import dev.cohort.kv.WatchRequest;
import dev.cohort.kv.ap.ApService;
import dev.cohort.kv.ap.Consistency;
import dev.cohort.kv.ap.internal.ApKvRouter;
import dev.cohort.observability.Tracing;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The embedded API of one node, as a facade: starts the kv entity types and the node's batcher and
 * lease clock, sends each operation on an AP keyspace to {@link ApKvRouter}, and delegates every CP
 * operation to the class that owns its capability — {@link KeyspaceDirectory}, {@link CpKeys},
 * {@link TxnRouter}, {@link Leases}, {@link Watches}, {@link Locks}, {@link Elections}
 * (kv/README.md, "Where things are: the service side").
 *
 * <p>Invariants: it decides nothing itself beyond the AP-or-CP choice, which the keyspace's mode
 * makes (a bad name or a missing keyspace is reported by the CP path, as before AP keyspaces
 * existed); every collaborator is built once, here, and shares this node's one batcher and one
 * keyspace cache. Holds no state of its own. Thread-safe.
 */
public final class KvServiceImpl implements Kv {
  /** Serves the operations on AP keyspaces (mode "ap"). */
  private final ApKvRouter ap;

  private final KeyspaceDirectory directory;
  private final EdgeChecks checks;
  private final CpKeys keys;
  private final TxnRouter txns;
  private final Leases leases;
  private final Watches watches;
  private final Locks locks;
  private final Elections elections;

  private KvServiceImpl(ActorSystem<?> system, KvSettings settings) {
    KvMetrics metrics = KvMetrics.get(system);
    MeteredCalls calls = new MeteredCalls(metrics);
    KeyspaceRegistry.init(system, settings);
    KvPartition.init(system, settings);
    KvLessor.init(system, settings);
    TxnCoordinator.init(system, settings);
    this.ap = new ApKvRouter(ApService.start(system));
    PartitionHomes homes = new PartitionHomes(system);
    EntityAsks asks =
        new EntityAsks(
            system,
            settings,
            system.systemActorOf(
                PartitionBatcher.create(settings, homes), "kv-batcher", Props.empty()),
            homes);
    system.systemActorOf(LeaseClock.create(settings), "kv-lease-clock", Props.empty());
    this.directory = new KeyspaceDirectory(settings, asks, calls, ap);
    this.checks = new EdgeChecks(settings);
    this.leases = new Leases(settings, asks, calls);
    Tracing tracing = Tracing.get(system);
    this.txns = new TxnRouter(settings, asks, calls, checks, directory, leases, tracing);
    this.keys = new CpKeys(asks, calls, checks, directory, txns, tracing);
    this.watches = new Watches(system, settings, metrics, calls, directory, ap);
    // Locks and elections build on this API (leases, puts, ranges, watches), as etcd's do.
    OwnerQueue queue = new OwnerQueue(this, settings, asks, directory);
    this.locks = new Locks(this, settings, metrics, calls, queue);
    this.elections = new Elections(this, settings, calls, checks, queue);
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
      String keyspace,
      String key,
      byte[] value,
      PutOptions options,
      Consistency consistency,
      long ttlSeconds) {
    return directory.routed(
        keyspace,
        ks -> ap.put(ks, key, value, options, consistency, ttlSeconds),
        () -> keys.put(keyspace, key, value, options, ttlSeconds));
  }

  @Override
  public CompletionStage<GetResult> get(String keyspace, String key) {
    return get(keyspace, key, 0);
  }

  @Override
  public CompletionStage<GetResult> get(String keyspace, String key, Consistency consistency) {
    return directory.routed(
        keyspace, ks -> ap.get(ks, key, 0, consistency), () -> keys.get(keyspace, key, 0));
  }

  @Override
  public CompletionStage<GetResult> get(String keyspace, String key, long revision) {
    return directory.routed(
        keyspace, ks -> ap.get(ks, key, revision, null), () -> keys.get(keyspace, key, revision));
  }

  @Override
  public CompletionStage<RangeResult> range(String keyspace, RangeRequest request) {
    return range(keyspace, request, null);
  }

  @Override
  public CompletionStage<RangeResult> range(
      String keyspace, RangeRequest request, Consistency consistency) {
    return directory.routed(
        keyspace, ks -> apRange(ks, request, consistency), () -> keys.range(keyspace, request));
  }

  private CompletionStage<RangeResult> apRange(
      KeyspaceInfo ks, RangeRequest request, Consistency consistency) {
    int limit = checks.rangeLimit(request);
    String after =
        request.page() == null || request.page().isEmpty()
            ? null
            : Tokens.parsePage(request.page());
    return ap.range(ks, request, limit, after, Tokens::page, consistency);
  }

  @Override
  public CompletionStage<DeleteResult> delete(String keyspace, String key, boolean prevKv) {
    return delete(keyspace, key, prevKv, null);
  }

  @Override
  public CompletionStage<DeleteResult> delete(
      String keyspace, String key, boolean prevKv, Consistency consistency) {
    return directory.routed(
        keyspace,
        ks -> ap.delete(ks, key, prevKv, consistency),
        () -> keys.delete(keyspace, key, prevKv));
  }

  @Override
  public CompletionStage<DeleteResult> deletePrefix(
      String keyspace, String prefix, boolean prevKv) {
    return directory.routed(
        keyspace,
        ks -> ap.deletePrefix(ks, prefix, prevKv, null),
        () -> keys.deletePrefix(keyspace, prefix, prevKv));
  }

  @Override
  public CompletionStage<TxnResult> txn(String keyspace, TxnRequest txn) {
    return directory.routed(
        keyspace,
        ks ->
            CompletableFuture.failedFuture(
                ApKvRouter.notSupported(
                    ks.name(),
                    "a transaction",
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
    return leases.grant(0, ttl);
  }

  @Override
  public CompletionStage<LeaseGrant> grantLease(long id, Duration ttl) {
    return leases.grant(id, ttl);
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

  @Override
  public CompletionStage<List<Long>> leases() {
    return leases.list();
  }

  // ------------------------------------------------------------------------------ watches

  @Override
  public Source<WatchEvent, CompletionStage<Done>> watch(String keyspace, WatchRequest request) {
    return watches.watch(keyspace, request);
  }

  // ------------------------------------------------------------------------------ locks

  @Override
  public CompletionStage<KvLock> lock(String name, Duration ttl, Duration wait) {
    return locks.lock(name, ttl, wait);
  }

  @Override
  public CompletionStage<Void> unlock(String name, String key) {
    return locks.unlock(name, key);
  }

  // ------------------------------------------------------------------------------ elections

  @Override
  public CompletionStage<Leader> campaign(String name, byte[] value, Duration ttl, Duration wait) {
    return elections.campaign(name, value, ttl, wait);
  }

  @Override
  public CompletionStage<Leader> proclaim(Leader leadership, byte[] value) {
    return elections.proclaim(leadership, value);
  }

  @Override
  public CompletionStage<Void> resign(Leader leadership) {
    return elections.resign(leadership);
  }

  @Override
  public CompletionStage<Leader> leader(String name) {
    return elections.leader(name);
  }

  @Override
  public Source<Leader, NotUsed> observe(String name) {
    return elections.observe(name);
  }
}
