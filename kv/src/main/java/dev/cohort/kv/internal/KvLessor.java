package dev.cohort.kv.internal;

import dev.cohort.kv.KvError;
import dev.cohort.kv.KvSettings;
import dev.cohort.persistence.AskStages;
import dev.cohort.persistence.CohortSerializable;
import dev.cohort.persistence.Rejection;
import dev.cohort.sharding.EntityTypes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One lessor: the single writer of the leases whose id maps to it ({@code id % lessors}). Leases
 * are spread over {@code cohort.kv.lease.lessors} lessor entities, ids {@code "0"} to {@code
 * "n-1"}.
 *
 * <p>A lease's deadline is wall-clock time, persisted with every grant and keepalive, so its TTL
 * keeps running while no node hosts the lessor (restart, shard move): a lease whose deadline passed
 * meanwhile is expired on the lessor's first tick after recovery. Every node's {@link LeaseClock}
 * ticks every lessor, which also wakes lessors after a restart.
 *
 * <p>A lease records the partitions (entity ids) keys were attached in: the API edge attaches
 * before it puts. Revocation (by request or expiry) is persisted first, then every attached
 * partition is told to delete the lease's keys; partitions not yet confirmed are retried on each
 * tick, also after a restart, until all confirmed. A partition remembers revoked leases, so a put
 * that attached just before the revocation but reached the partition after it is refused.
 */
public final class KvLessor
    extends EventSourcedBehaviorWithEnforcedReplies<
        KvLessor.Command, KvLessor.Event, KvLessor.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "kv-lessor");

  // Command
  public sealed interface Command extends CohortSerializable {}

  /** Grants a lease: lease {@code id} (of this lessor), or the lessor's next id when it is 0. */
  public record Grant(long ttlMillis, ActorRef<Reply> replyTo, long id) implements Command {}

  public record KeepAlive(long lease, ActorRef<Reply> replyTo) implements Command {}

  public record GetLease(long lease, ActorRef<Reply> replyTo) implements Command {}

  /** Lists this lessor's leases that are granted and not expired. */
  public record ListLeases(ActorRef<Reply> replyTo) implements Command {}

  /** Records that the lease has keys in partition {@code partitionEntityId}. */
  public record Attach(long lease, String partitionEntityId, ActorRef<Reply> replyTo)
      implements Command {}

  /** Revokes the lease; answers with the partitions the caller should clear too. */
  public record Revoke(long lease, ActorRef<Reply> replyTo) implements Command {}

  /** Expires due leases and retries pending revocations. */
  public enum Tick implements Command {
    INSTANCE
  }

  record PartitionCleared(long lease, String partitionEntityId, boolean ok) implements Command {}

  // Reply
  public sealed interface Reply extends CohortSerializable {}

  /** A lease; {@code remainingMillis} 0 and {@code revoked} true while its keys are deleted. */
  public record LeaseState(
      long id, long ttlMillis, long remainingMillis, List<String> partitions, boolean revoked)
      implements Reply {}

  /** The ids of this lessor's live leases, ascending. */
  public record LeaseIds(List<Long> ids) implements Reply {}

  public record Rejected(Rejection rejection) implements Reply {}

  // Event
  public sealed interface Event extends CohortSerializable {}

  /**
   * A granted lease; {@code chosen}: its id was the client's, so it does not advance the lessor's
   * sequence (absent, thus false, in events written before clients could choose).
   */
  public record LeaseGranted(long id, long ttlMillis, long deadlineMillis, boolean chosen)
      implements Event {}

  public record LeaseKeptAlive(long id, long deadlineMillis) implements Event {}

  public record LeaseAttached(long id, String partitionEntityId) implements Event {}

  public record LeaseRevoked(long id, long atMillis, boolean expired) implements Event {}

  public record RevocationFinished(long id) implements Event {}

  // State
  public record Lease(long id, long ttlMillis, long deadlineMillis, List<String> partitions)
      implements CohortSerializable {

    Lease withPartition(String partitionEntityId) {
      List<String> more = new ArrayList<>(partitions);
      more.add(partitionEntityId);
      return new Lease(id, ttlMillis, deadlineMillis, List.copyOf(more));
    }
  }

  /**
   * @param nextSeq the sequence of the next lease id
   * @param live leases granted and not revoked
   * @param revoking revoked leases whose partitions are not all cleared yet
   * @param retired when each lease was revoked, for {@code lease.revoked-retention}: partitions
   *     refuse puts naming it that long, so its id is not granted again meanwhile (absent in
   *     snapshots taken before clients could choose ids: empty)
   */
  public record State(
      long nextSeq,
      HashMap<Long, Lease> live,
      HashMap<Long, Lease> revoking,
      HashMap<Long, Long> retired)
      implements CohortSerializable {

    public State {
      retired = retired == null ? new HashMap<>() : retired;
    }

    State copy() {
      return new State(
          nextSeq, new HashMap<>(live), new HashMap<>(revoking), new HashMap<>(retired));
    }

    State granted(LeaseGranted e, int lessors) {
      live.put(e.id(), new Lease(e.id(), e.ttlMillis(), e.deadlineMillis(), List.of()));
      return e.chosen()
          ? this
          : new State(Math.max(nextSeq, e.id() / lessors + 1), live, revoking, retired);
    }

    /** Whether {@code id} is granted, being revoked, or was revoked since {@code retiredSince}. */
    boolean holds(long id, long retiredSince) {
      Long at = retired.get(id);
      return live.containsKey(id) || revoking.containsKey(id) || (at != null && at >= retiredSince);
    }

    State keptAlive(LeaseKeptAlive e) {
      live.computeIfPresent(
          e.id(), (id, l) -> new Lease(id, l.ttlMillis(), e.deadlineMillis(), l.partitions()));
      return this;
    }

    State attached(LeaseAttached e) {
      live.computeIfPresent(e.id(), (id, l) -> l.withPartition(e.partitionEntityId()));
      return this;
    }

    /**
     * A revoked lease waits in {@code revoking} until its partitions cleared its keys, and in
     * {@code retired} for {@code retentionMillis}.
     */
    State revoked(LeaseRevoked e, long retentionMillis) {
      Lease lease = live.remove(e.id());
      if (lease != null && !lease.partitions().isEmpty()) {
        revoking.put(e.id(), lease);
      }
      retired.values().removeIf(at -> at < e.atMillis() - retentionMillis);
      retired.put(e.id(), e.atMillis());
      return this;
    }

    State finished(RevocationFinished e) {
      revoking.remove(e.id());
      return this;
    }
  }

  public static void init(ActorSystem<?> system, KvSettings settings) {
    KvMetrics metrics = KvMetrics.get(system);
    EntityTypes.init(
        system, Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), settings, metrics)));
  }

  public static Behavior<Command> create(String entityId, KvSettings settings, KvMetrics metrics) {
    return Behaviors.setup(context -> new KvLessor(context, entityId, settings, metrics));
  }

  /** The lessor entity id of a lease. */
  public static String entityIdOf(long lease, int lessors) {
    return Long.toString(Math.floorMod(lease, (long) lessors));
  }

  private final ActorContext<Command> context;
  private final int index;
  private final KvSettings settings;
  private final KvMetrics metrics;
  private final ClusterSharding sharding;

  /** Partition clears in flight or confirmed, per revoking lease; not persisted. */
  private final Map<Long, Set<String>> clearing = new HashMap<>();

  private final Map<Long, Set<String>> cleared = new HashMap<>();

  private KvLessor(
      ActorContext<Command> context, String entityId, KvSettings settings, KvMetrics metrics) {
    super(
        PersistenceId.of(ENTITY_TYPE_KEY.name(), entityId),
        EntitySupervision.restartWithBackoff(settings));
    this.context = context;
    this.index = Integer.parseInt(entityId);
    this.settings = settings;
    this.metrics = metrics;
    this.sharding = ClusterSharding.get(context.getSystem());
  }

  @Override
  public State emptyState() {
    return new State(1, new HashMap<>(), new HashMap<>(), new HashMap<>());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEveryEvents(), settings.snapshotKeep());
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State state) {
        return state.copy();
      }

      @Override
      public State fromJournal(Object from) {
        // Copied too: an in-memory snapshot store hands out the object it holds, which this
        // entity's event handler would otherwise change under the store.
        return ((State) from).copy();
      }
    };
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), s -> metrics.leases(index, s.live().size()))
        .onSignal(PostStop.instance(), s -> metrics.lessorStopped(index))
        .build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Grant.class, this::onGrant)
        .onCommand(KeepAlive.class, this::onKeepAlive)
        .onCommand(GetLease.class, this::onGet)
        .onCommand(ListLeases.class, this::onList)
        .onCommand(Attach.class, this::onAttach)
        .onCommand(Revoke.class, this::onRevoke)
        .onCommand(Tick.class, (state, tick) -> onTick(state))
        .onCommand(PartitionCleared.class, this::onCleared)
        .build();
  }

  private static Rejection notFound(long lease) {
    return KvError.LEASE_NOT_FOUND.rejection("lease " + lease + " does not exist or expired");
  }

  private static LeaseState stateOf(Lease lease, long now, boolean revoked) {
    long remaining = revoked ? 0 : Math.max(0, lease.deadlineMillis() - now);
    return new LeaseState(lease.id(), lease.ttlMillis(), remaining, lease.partitions(), revoked);
  }

  private ReplyEffect<Event, State> onGrant(State state, Grant grant) {
    if (grant.ttlMillis() < settings.leaseMinTtl().toMillis()
        || grant.ttlMillis() > settings.leaseMaxTtl().toMillis()) {
      return Effect()
          .reply(
              grant.replyTo(),
              new Rejected(
                  KvError.INVALID_TTL.rejection(
                      "lease TTL must be within "
                          + settings.leaseMinTtl().toSeconds()
                          + ".."
                          + settings.leaseMaxTtl().toSeconds()
                          + " seconds")));
    }
    boolean chosen = grant.id() != 0;
    long retiredSince = System.currentTimeMillis() - settings.leaseRevokedRetention().toMillis();
    if (chosen && state.holds(grant.id(), retiredSince)) {
      return Effect()
          .reply(
              grant.replyTo(),
              new Rejected(
                  KvError.LEASE_EXISTS.rejection(
                      "lease "
                          + grant.id()
                          + " exists, or was revoked less than lease.revoked-retention ago")));
    }
    if (chosen && !entityIdOf(grant.id(), settings.lessors()).equals(Integer.toString(index))) {
      return Effect()
          .reply(
              grant.replyTo(),
              new Rejected(
                  KvError.INVALID_REQUEST.rejection(
                      "lease " + grant.id() + " belongs to another lessor than " + index)));
    }
    long id = chosen ? grant.id() : nextFreeId(state, retiredSince);
    long now = System.currentTimeMillis();
    return Effect()
        .persist(new LeaseGranted(id, grant.ttlMillis(), now + grant.ttlMillis(), chosen))
        .thenRun(s -> metrics.leases(index, s.live().size()))
        .thenReply(grant.replyTo(), s -> stateOf(s.live().get(id), now, false));
  }

  /** The lessor's next sequence id that no lease a client chose holds (or held recently). */
  private long nextFreeId(State state, long retiredSince) {
    long seq = state.nextSeq();
    long id = seq * settings.lessors() + index;
    while (state.holds(id, retiredSince)) {
      seq++;
      id = seq * settings.lessors() + index;
    }
    return id;
  }

  private ReplyEffect<Event, State> onKeepAlive(State state, KeepAlive keepAlive) {
    Lease lease = state.live().get(keepAlive.lease());
    long now = System.currentTimeMillis();
    if (lease == null || lease.deadlineMillis() <= now) {
      return Effect().reply(keepAlive.replyTo(), new Rejected(notFound(keepAlive.lease())));
    }
    return Effect()
        .persist(new LeaseKeptAlive(lease.id(), now + lease.ttlMillis()))
        .thenReply(keepAlive.replyTo(), s -> stateOf(s.live().get(lease.id()), now, false));
  }

  private ReplyEffect<Event, State> onGet(State state, GetLease get) {
    long now = System.currentTimeMillis();
    Lease lease = state.live().get(get.lease());
    if (lease != null && lease.deadlineMillis() > now) {
      return Effect().reply(get.replyTo(), stateOf(lease, now, false));
    }
    return Effect().reply(get.replyTo(), new Rejected(notFound(get.lease())));
  }

  private ReplyEffect<Event, State> onList(State state, ListLeases list) {
    long now = System.currentTimeMillis();
    List<Long> ids =
        state.live().values().stream()
            .filter(lease -> lease.deadlineMillis() > now)
            .map(Lease::id)
            .sorted()
            .toList();
    return Effect().reply(list.replyTo(), new LeaseIds(ids));
  }

  private ReplyEffect<Event, State> onAttach(State state, Attach attach) {
    long now = System.currentTimeMillis();
    Lease lease = state.live().get(attach.lease());
    if (lease == null || lease.deadlineMillis() <= now) {
      return Effect().reply(attach.replyTo(), new Rejected(notFound(attach.lease())));
    }
    if (lease.partitions().contains(attach.partitionEntityId())) {
      return Effect().reply(attach.replyTo(), stateOf(lease, now, false));
    }
    return Effect()
        .persist(new LeaseAttached(lease.id(), attach.partitionEntityId()))
        .thenReply(attach.replyTo(), s -> stateOf(s.live().get(lease.id()), now, false));
  }

  private ReplyEffect<Event, State> onRevoke(State state, Revoke revoke) {
    long now = System.currentTimeMillis();
    Lease revoking = state.revoking().get(revoke.lease());
    if (revoking != null) {
      return Effect().reply(revoke.replyTo(), stateOf(revoking, now, true));
    }
    Lease lease = state.live().get(revoke.lease());
    if (lease == null) {
      return Effect().reply(revoke.replyTo(), new Rejected(notFound(revoke.lease())));
    }
    return Effect()
        .persist(new LeaseRevoked(lease.id(), now, false))
        .thenRun(this::afterRevocations)
        .thenReply(revoke.replyTo(), s -> stateOf(lease, now, true));
  }

  private ReplyEffect<Event, State> onTick(State state) {
    long now = System.currentTimeMillis();
    List<Event> expired = new ArrayList<>();
    for (Lease lease : state.live().values()) {
      if (lease.deadlineMillis() <= now) {
        expired.add(new LeaseRevoked(lease.id(), now, true));
      }
    }
    if (expired.isEmpty()) {
      clearPending(state);
      return Effect().noReply();
    }
    context.getLog().debug("lessor {} expires {} leases", index, expired.size());
    return Effect().persist(expired).thenRun(this::afterRevocations).thenNoReply();
  }

  private void afterRevocations(State state) {
    metrics.leases(index, state.live().size());
    clearPending(state);
  }

  /** Tells every attached partition not yet clearing a revoked lease to delete its keys. */
  private void clearPending(State state) {
    for (Lease lease : state.revoking().values()) {
      Set<String> inFlight = clearing.computeIfAbsent(lease.id(), id -> new HashSet<>());
      Set<String> done = cleared.computeIfAbsent(lease.id(), id -> new HashSet<>());
      for (String partition : lease.partitions()) {
        if (inFlight.add(partition) && !done.contains(partition)) {
          AskStages.ask(
              context,
              KvPartition.Reply.class,
              sharding.entityRefFor(KvPartition.ENTITY_TYPE_KEY, partition),
              settings.askTimeout(),
              replyTo -> new KvPartition.RevokeLease(lease.id(), replyTo),
              (reply, failure) ->
                  new PartitionCleared(
                      lease.id(),
                      partition,
                      failure == null
                          && !(reply instanceof KvPartition.Rejected r
                              && !r.rejection().is(KvError.KEYSPACE_NOT_FOUND))));
        }
      }
    }
  }

  private ReplyEffect<Event, State> onCleared(State state, PartitionCleared c) {
    Set<String> inFlight = clearing.get(c.lease());
    if (inFlight != null) {
      inFlight.remove(c.partitionEntityId());
    }
    if (!c.ok()) {
      return Effect().noReply(); // retried on the next tick
    }
    Set<String> done = cleared.computeIfAbsent(c.lease(), id -> new HashSet<>());
    done.add(c.partitionEntityId());
    Lease lease = state.revoking().get(c.lease());
    if (lease == null || !done.containsAll(lease.partitions())) {
      return Effect().noReply();
    }
    clearing.remove(c.lease());
    cleared.remove(c.lease());
    return Effect().persist(new RevocationFinished(c.lease())).thenNoReply();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(LeaseGranted.class, (state, e) -> state.granted(e, settings.lessors()))
        .onEvent(LeaseKeptAlive.class, State::keptAlive)
        .onEvent(LeaseAttached.class, State::attached)
        .onEvent(
            LeaseRevoked.class,
            (state, e) -> state.revoked(e, settings.leaseRevokedRetention().toMillis()))
        .onEvent(RevocationFinished.class, State::finished)
        .build();
  }
}
