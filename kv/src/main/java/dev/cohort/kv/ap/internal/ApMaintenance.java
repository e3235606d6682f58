package dev.cohort.kv.ap.internal;

import dev.cohort.kv.ap.ApSettings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The background work of AP keyspaces on one node: starts this node's join streams ({@link
 * ApStreaming}) once it is up, replays hints to replicas that are reachable again, sweeps the store
 * (purges tombstones and expired values past their purge time, counts live keys), runs the periodic
 * anti-entropy repair of every keyspace it holds, and sends its catalog and departed nodes to the
 * others. It follows membership to keep {@link ApRing}'s departed nodes: a member removed after
 * being downed departs (stays on the ring for the hint window), one that left gracefully or comes
 * back up does not.
 *
 * <p>Invariants: at most one join run at a time, at most one replay per target, one sweep and one
 * repair run at a time; a hint is removed only after its replica acknowledged it. Long work runs on
 * the {@code io} executor and reports back with a message; the actor's own state is touched only in
 * its handlers.
 */
final class ApMaintenance extends AbstractBehavior<ApMaintenance.Command> {
  private static final int HINTS_PER_ROUND = 256;

  /** Local only: its messages never leave this node, so they are not serialized. */
  sealed interface Command extends NoSerializationVerificationNeeded {}

  private enum Tick implements Command {
    HINTS,
    SWEEP,
    REPAIR,
    GOSSIP
  }

  private record MemberChanged(ClusterEvent.MemberEvent event) implements Command {}

  private record ReplicasListed(Receptionist.Listing listing) implements Command {}

  private record ReplayDone(String target) implements Command {}

  private enum WorkDone implements Command {
    SWEEP,
    REPAIR,
    JOIN
  }

  /** Answers the replication factor of a keyspace incarnation. */
  interface Factors {
    int of(String keyspace, long incarnation);
  }

  static Behavior<Command> create(
      ApSettings settings,
      ApStore store,
      ApCatalog catalog,
      ApRing ring,
      ApCoordinator coordinator,
      ApRepair repairs,
      ApStreaming streaming,
      ApMetrics metrics,
      Executor io,
      Factors factors) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers ->
                    new ApMaintenance(
                        ctx,
                        timers,
                        settings,
                        store,
                        catalog,
                        ring,
                        coordinator,
                        repairs,
                        streaming,
                        metrics,
                        io,
                        factors)));
  }

  private final ApSettings settings;
  private final ApStore store;
  private final ApCatalog catalog;
  private final ApRing ring;
  private final ApCoordinator coordinator;
  private final ApRepair repairs;
  private final ApStreaming streaming;
  private final ApMetrics metrics;
  private final Executor io;
  private final Factors factors;
  private final Set<String> replaying = new HashSet<>();
  private boolean sweeping;
  private boolean repairing;
  private boolean joining;

  private ApMaintenance(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      ApSettings settings,
      ApStore store,
      ApCatalog catalog,
      ApRing ring,
      ApCoordinator coordinator,
      ApRepair repairs,
      ApStreaming streaming,
      ApMetrics metrics,
      Executor io,
      Factors factors) {
    super(context);
    this.settings = settings;
    this.store = store;
    this.catalog = catalog;
    this.ring = ring;
    this.coordinator = coordinator;
    this.repairs = repairs;
    this.streaming = streaming;
    this.metrics = metrics;
    this.io = io;
    this.factors = factors;
    timers.startTimerWithFixedDelay(Tick.HINTS, settings.hintReplayInterval());
    timers.startTimerWithFixedDelay(Tick.SWEEP, settings.sweepInterval());
    timers.startTimerWithFixedDelay(Tick.GOSSIP, settings.gossipInterval());
    if (!settings.repairInterval().isZero()) {
      timers.startTimerWithFixedDelay(Tick.REPAIR, settings.repairInterval());
    }
    context
        .getSystem()
        .receptionist()
        .tell(
            Receptionist.subscribe(
                ApReplica.KEY,
                context.messageAdapter(Receptionist.Listing.class, ReplicasListed::new)));
    Cluster.get(context.getSystem())
        .subscriptions()
        .tell(
            Subscribe.create(
                context.messageAdapter(ClusterEvent.MemberEvent.class, MemberChanged::new),
                ClusterEvent.MemberEvent.class));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Tick.HINTS, this::onHintTick)
        .onMessageEquals(Tick.SWEEP, this::onSweepTick)
        .onMessageEquals(Tick.REPAIR, this::onRepairTick)
        .onMessageEquals(Tick.GOSSIP, this::onGossipTick)
        .onMessage(MemberChanged.class, this::onMemberChanged)
        .onMessage(
            ReplicasListed.class,
            listed -> {
              ring.listed(listed.listing().getServiceInstances(ApReplica.KEY));
              getContext().getSelf().tell(Tick.HINTS);
              return this;
            })
        .onMessageEquals(
            WorkDone.JOIN,
            () -> {
              joining = false;
              return this;
            })
        .onMessage(
            ReplayDone.class,
            done -> {
              replaying.remove(done.target());
              return this;
            })
        .onMessageEquals(
            WorkDone.SWEEP,
            () -> {
              sweeping = false;
              return this;
            })
        .onMessageEquals(
            WorkDone.REPAIR,
            () -> {
              repairing = false;
              return this;
            })
        .build();
  }

  private Behavior<Command> onMemberChanged(MemberChanged changed) {
    String node = ApRing.address(changed.event().member());
    switch (changed.event()) {
      case ClusterEvent.MemberRemoved removed
          when removed.previousStatus() == MemberStatus.down() -> {
        getContext()
            .getLog()
            .info(
                "AP ring: {} was downed and removed; it stays on the ring as"
                    + " departed for hints.window",
                node);
        ring.departed(node, System.currentTimeMillis());
      }
      case ClusterEvent.MemberRemoved removed -> {
        getContext()
            .getLog()
            .info("AP ring: {} left ({}); off the ring", node, removed.previousStatus());
        ring.returned(node);
      }
      case ClusterEvent.MemberUp up -> {
        ring.returned(node);
        maybeJoin();
        getContext().getSelf().tell(Tick.HINTS);
      }
      default -> {}
    }
    return this;
  }

  // ---------------------------------------------------------------------------------- join

  /**
   * Streams this node's ranges once it serves and knows the ring (see {@link ApStreaming}); retried
   * every hint tick until it succeeds.
   */
  private void maybeJoin() {
    if (joining
        || !streaming.pending()
        || !ring.alive(coordinator.self())
        || !streaming.canJoin()) {
      return;
    }
    joining = true;
    var self = getContext().getSelf();
    var log = getContext().getLog();
    long start = System.nanoTime();
    CompletableFuture.supplyAsync(streaming::join, io)
        .thenCompose(f -> f)
        .whenComplete(
            (fetched, failure) -> {
              if (failure != null) {
                log.info("AP join: streaming incomplete ({}); retrying", failure.toString());
              } else {
                log.info(
                    "AP join: fetched {} entries of this node's ranges in {} ms; serving reads",
                    fetched,
                    (System.nanoTime() - start) / 1_000_000);
              }
              self.tell(WorkDone.JOIN);
            });
  }

  // ---------------------------------------------------------------------------------- hints

  private Behavior<Command> onHintTick() {
    if (store.isClosed()) {
      return Behaviors.stopped();
    }
    ring.refresh();
    maybeJoin();
    List<String> onRing = ring.nodes();
    for (String target : store.hintTargets()) {
      if (!onRing.contains(target)) {
        dropHints(target);
      } else if (ring.alive(target) && replaying.add(target)) {
        replay(target);
      }
    }
    return this;
  }

  /** The target left the ring: its hints can never be delivered (repair covers its ranges). */
  private void dropHints(String target) {
    getContext()
        .getLog()
        .warn(
            "AP hints: {} is off the ring; dropping its hints (repair covers" + " its ranges)",
            target);
    store
        .hints(target, Integer.MAX_VALUE)
        .keySet()
        .forEach(k -> store.removeHint(k).thenRun(() -> metrics.hint("dropped")));
  }

  private void replay(String target) {
    var self = getContext().getSelf();
    var log = getContext().getLog();
    CompletableFuture.supplyAsync(() -> store.hints(target, HINTS_PER_ROUND), io)
        .thenCompose(
            hints -> {
              List<CompletableFuture<Boolean>> sent = new ArrayList<>();
              hints.forEach(
                  (key, hint) ->
                      sent.add(
                          coordinator
                              .<ApReplica.WriteAck>ask(
                                  target,
                                  r ->
                                      new ApReplica.Write(
                                          hint.keyspace(),
                                          hint.incarnation(),
                                          hint.key(),
                                          hint.entry(),
                                          r))
                              .toCompletableFuture()
                              .thenCompose(ack -> store.removeHint(key))
                              .thenApply(
                                  removed -> {
                                    metrics.hint("replayed");
                                    log.debug("AP hints: replayed {} to {}", hint.key(), target);
                                    return removed;
                                  })));
              return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new));
            })
        .whenComplete(
            (v, failure) -> {
              if (failure != null) {
                log.info(
                    "AP hints: replay to {} incomplete ({}); retrying", target, failure.toString());
              }
              self.tell(new ReplayDone(target));
            });
  }

  // ---------------------------------------------------------------------------------- sweep

  private Behavior<Command> onSweepTick() {
    if (sweeping) {
      return this;
    }
    sweeping = true;
    var self = getContext().getSelf();
    CompletableFuture.runAsync(this::sweep, io)
        .whenComplete(
            (v, failure) -> {
              if (failure != null) {
                getContext().getSystem().log().warn("AP sweep failed: {}", failure.toString());
              }
              self.tell(WorkDone.SWEEP);
            });
    return this;
  }

  /** Purges what every replica may drop and recounts live keys (runs on {@code io}). */
  private void sweep() {
    long now = System.currentTimeMillis();
    Map<String, Long> live = new HashMap<>();
    for (ApCodec.DataKey ks : store.keyspaces()) {
      long[] count = {0};
      store.scanAll(
          ks.keyspace(),
          ks.incarnation(),
          row -> {
            if (row.entry().liveAt(now)) {
              count[0]++;
            } else if (row.entry().purgeableAt(now)) {
              store.purge(ks.keyspace(), ks.incarnation(), row.key(), row.entry());
            }
          });
      live.merge(ks.keyspace(), count[0], Long::sum);
    }
    metrics.keys(live);
  }

  // ---------------------------------------------------------------------------------- repair

  private Behavior<Command> onRepairTick() {
    if (repairing) {
      return this;
    }
    repairing = true;
    var self = getContext().getSelf();
    CompletableFuture.supplyAsync(store::keyspaces, io)
        .thenCompose(
            keyspaces -> {
              CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
              for (ApCodec.DataKey ks : keyspaces) {
                chain =
                    chain.thenCompose(
                        v ->
                            repairs
                                .repair(
                                    ks.keyspace(),
                                    ks.incarnation(),
                                    factors.of(ks.keyspace(), ks.incarnation()))
                                .toCompletableFuture()
                                .handle((r, failure) -> null));
              }
              return chain;
            })
        .whenComplete((v, failure) -> self.tell(WorkDone.REPAIR));
    return this;
  }

  // ---------------------------------------------------------------------------------- gossip

  private Behavior<Command> onGossipTick() {
    var message = new ApReplica.CatalogPut(catalog.snapshot(), ring.departedNodes(), null);
    for (String node : ring.nodes()) {
      if (!node.equals(coordinator.self()) && ring.alive(node)) {
        coordinator.replica(node).tell(message);
      }
    }
    return this;
  }
}
