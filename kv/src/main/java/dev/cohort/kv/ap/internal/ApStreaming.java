package dev.cohort.kv.ap.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's range movements, as Cassandra streams them. <b>Join</b> (bootstrap): a node that has
 * not streamed yet is pending ({@link ApRing}: writes reach it, reads do not use it); it fetches
 * every range it will replicate from the replica it takes the range over from (the one that drops
 * out of the range's replica set, so the count of replicas holding any acknowledged write is kept;
 * from every other live old replica when that one is down), then marks itself ready in the catalog
 * and tells every live node, which from then on read from it. <b>Leave</b> (decommission): a node
 * asked to leave sends every range it replicates to the replicas that take it over, in the
 * CoordinatedShutdown phase {@value #PHASE} (after cluster-leave, before cluster-exiting-done: the
 * cluster does not remove an exiting node before that phase ends), bounded by that phase's timeout.
 * Both compare hash trees first and move only the leaves that differ ({@link ApRepair}). Stateless
 * between runs; thread-safe.
 */
final class ApStreaming {
  /** The CoordinatedShutdown phase of a decommissioned node's streams (see cohort-pekko.conf). */
  static final String PHASE = "kv-ap-decommission";

  private static final Logger log = LoggerFactory.getLogger(ApStreaming.class);

  private final ApCoordinator coordinator;
  private final ApRing ring;
  private final ApCatalog catalog;
  private final ApStore store;
  private final ApRepair repairs;
  private final ApMaintenance.Factors factors;
  private final String self;
  private final boolean readyFromBefore;

  ApStreaming(
      ApCoordinator coordinator,
      ApRing ring,
      ApCatalog catalog,
      ApStore store,
      ApRepair repairs,
      ApMaintenance.Factors factors) {
    this.coordinator = coordinator;
    this.ring = ring;
    this.catalog = catalog;
    this.store = store;
    this.repairs = repairs;
    this.factors = factors;
    this.self = coordinator.self();
    boolean hadData = store.isOpen() && !store.keyspaces().isEmpty();
    // Keyspaces written before the catalog existed use the default factor: record it, so that a
    // joining node learns them and streams them too.
    for (ApCodec.DataKey ks : hadData ? store.keyspaces() : List.<ApCodec.DataKey>of()) {
      catalog.merge(
          Map.of(
              ApCatalog.id(ks.keyspace(), ks.incarnation()),
              factors.of(ks.keyspace(), ks.incarnation())));
    }
    // Data but no ready mark of any node: written by a version without streaming, when every node
    // was a replica from the start. (A node restarted in the middle of its join knows other nodes'
    // marks, and streams again: the hash trees skip what it already holds.)
    this.readyFromBefore = hadData && !catalog.anyReady();
  }

  /** Streams this node's ranges to their new replicas when it is asked to leave the cluster. */
  void onDecommission(ActorSystem<?> system) {
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(Adapter.toClassic(system));
    shutdown.addTask(
        PHASE,
        "kv-ap-stream-ranges",
        () -> {
          if (shutdown.getShutdownReason().orElse(null)
                  != CoordinatedShutdown.clusterLeavingReason()
              || !store.isOpen()) {
            return CompletableFuture.completedFuture(Done.getInstance());
          }
          long start = System.nanoTime();
          return leave()
              .handle(
                  (sent, failure) -> {
                    if (failure != null) {
                      log.warn(
                          "AP decommission: streaming incomplete ({}); repair re-replicates the"
                              + " rest",
                          failure.toString());
                    } else {
                      log.info(
                          "AP decommission: sent {} entries to the new replicas in {} ms",
                          sent,
                          (System.nanoTime() - start) / 1_000_000);
                    }
                    return Done.getInstance();
                  });
        });
  }

  /** Whether this node must still stream before it serves reads. */
  boolean pending() {
    return !catalog.ready(self);
  }

  /**
   * Whether this node may decide what to stream: it has heard a peer's catalog (so it knows which
   * nodes are ready and which keyspaces exist), or it is the ring's only node. Not merely "no other
   * node is alive": the others' replicas are listed only a moment after this node is up.
   */
  boolean canJoin() {
    return catalog.heardFromPeer() || readyFromBefore || ring.nodes().equals(List.of(self));
  }

  /**
   * Fetches every range this node takes over, then marks it ready; completes with entries fetched.
   */
  CompletableFuture<Long> join() {
    if (readyFromBefore) {
      return announceReady().thenApply(v -> 0L);
    }
    ApPlacement natural = ring.placement();
    ApPlacement target = ring.target();
    CompletableFuture<Long> chain = CompletableFuture.completedFuture(0L);
    for (Map.Entry<String, Integer> ks : catalog.keyspaces().entrySet()) {
      String keyspace = ApCatalog.keyspaceOf(ks.getKey());
      long incarnation = ApCatalog.incarnationOf(ks.getKey());
      for (ApPlacement.Movement m : natural.movements(target, ks.getValue())) {
        if (!m.to().contains(self) || m.from().contains(self)) {
          continue;
        }
        List<String> sources = alive(m.from(), m.to());
        if (sources.isEmpty()) {
          sources = alive(m.from(), List.of());
        }
        if (sources.isEmpty()) {
          return CompletableFuture.failedFuture(
              new IllegalStateException(
                  "no live replica of token range ("
                      + Long.toUnsignedString(m.fromExclusive())
                      + ", "
                      + Long.toUnsignedString(m.toInclusive())
                      + "] of "
                      + keyspace
                      + " to stream from: "
                      + m.from()));
        }
        for (String source : sources) {
          chain =
              chain.thenCompose(
                  n -> move(source, keyspace, incarnation, m, true).thenApply(k -> n + k));
        }
      }
    }
    return chain.thenCompose(n -> announceReady().thenApply(v -> n));
  }

  /** Sends every range this node gives up to the replicas that take it over; entries sent. */
  CompletableFuture<Long> leave() {
    ApPlacement natural = ring.placement();
    ApPlacement target = ring.target();
    CompletableFuture<Long> chain = CompletableFuture.completedFuture(0L);
    for (ApCodec.DataKey ks : store.keyspaces()) {
      int rf = factors.of(ks.keyspace(), ks.incarnation());
      for (ApPlacement.Movement m : natural.movements(target, rf)) {
        if (!m.from().contains(self) || m.to().contains(self)) {
          continue;
        }
        for (String destination : m.to()) {
          if (m.from().contains(destination)) {
            continue;
          }
          if (!ring.alive(destination)) {
            log.warn(
                "AP decommission: new replica {} is not alive; repair re-replicates its range",
                destination);
            continue;
          }
          chain =
              chain.thenCompose(
                  n ->
                      move(destination, ks.keyspace(), ks.incarnation(), m, false)
                          .thenApply(k -> n + k));
        }
      }
    }
    return chain;
  }

  /** The live nodes of {@code replicas} that are not in {@code except}, this node left out. */
  private List<String> alive(List<String> replicas, List<String> except) {
    List<String> alive = new ArrayList<>();
    for (String node : replicas) {
      if (!node.equals(self) && !except.contains(node) && ring.alive(node)) {
        alive.add(node);
      }
    }
    return alive;
  }

  /** Pulls ({@code in}) or pushes one range's differing leaves from or to {@code peer}. */
  private CompletableFuture<Long> move(
      String peer, String keyspace, long incarnation, ApPlacement.Movement m, boolean in) {
    return repairs
        .differingLeaves(peer, keyspace, incarnation, m.fromExclusive(), m.toInclusive())
        .thenCompose(
            leaves -> {
              CompletableFuture<Long> chain = CompletableFuture.completedFuture(0L);
              for (long[] leaf : leaves) {
                chain =
                    chain.thenCompose(
                        n ->
                            (in
                                    ? repairs.pull(peer, keyspace, incarnation, leaf, "join")
                                    : repairs.push(peer, keyspace, incarnation, leaf, "leave"))
                                .thenApply(k -> n + k));
              }
              return chain;
            });
  }

  /** Marks this node ready and tells every live node (the periodic exchange covers the others). */
  private CompletableFuture<Void> announceReady() {
    return catalog
        .markReady(self)
        .thenCompose(v -> coordinator.spreadCatalog(ApCatalog.readyMark(self)));
  }
}
