package dev.cohort.log.internal;

import dev.cohort.log.ConsumerSettings.Assignor;
import dev.cohort.log.LogError;
import dev.cohort.log.OffsetAndMetadata;
import dev.cohort.log.TopicPartition;
import dev.cohort.persistence.AskStages;
import dev.cohort.persistence.CohortSerializable;
import dev.cohort.persistence.Rejection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
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
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The coordinator of one consumer group: a sharded, event-sourced entity (id = group id) that holds
 * the members, the generation, the assignment and the committed offsets.
 *
 * <p>Protocol: the coordinator computes assignments itself (like Kafka's KIP-848 protocol) with the
 * group's assignor. A join, a leave, a member whose session timed out, or a subscribed topic that
 * gained partitions starts a new generation with a new target assignment. Partitions are handed
 * over incrementally for every assignor: a member receives a partition of its target only once no
 * other member still owns it, and a member gives a partition up when a heartbeat or join answer
 * tells it its new assignment. So no partition has two owners, and members keep the partitions that
 * do not move. Commits are accepted only from a known member of the current generation.
 *
 * <p>Membership, targets, deliveries and offsets are journaled; heartbeat times are not (after a
 * restart every member gets a fresh session timeout).
 */
public final class GroupCoordinator
    extends EventSourcedBehaviorWithEnforcedReplies<
        GroupCoordinator.Command, GroupCoordinator.Event, GroupCoordinator.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "LogGroupCoordinator");

  // ---- commands ----

  public sealed interface Command extends CohortSerializable {}

  /** Joins (memberId empty for a new member) or updates a member's subscription. */
  public record Join(
      String memberId,
      String clientId,
      List<String> topics,
      Assignor assignor,
      long sessionTimeoutMs,
      Map<String, Integer> partitionCounts,
      ActorRef<Reply> replyTo)
      implements Command {}

  public record Heartbeat(String memberId, int generation, ActorRef<Reply> replyTo)
      implements Command {}

  public record Leave(String memberId, ActorRef<Reply> replyTo) implements Command {}

  /** Commits offsets; memberId empty commits as a standalone consumer (group without members). */
  public record Commit(
      String memberId,
      int generation,
      Map<TopicPartition, OffsetAndMetadata> offsets,
      ActorRef<Reply> replyTo)
      implements Command {}

  public record GetOffsets(ActorRef<Reply> replyTo) implements Command {}

  public record Describe(ActorRef<Reply> replyTo) implements Command {}

  /**
   * Deletes the committed offsets of {@code partitions} (all of them when empty); refused with
   * {@code non_empty_group} while the group has members.
   */
  public record DeleteOffsets(List<TopicPartition> partitions, ActorRef<Reply> replyTo)
      implements Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  private record CountsRefreshed(Map<String, Integer> counts) implements Command {}

  // ---- replies ----

  public sealed interface Reply extends CohortSerializable {}

  public record Assignment(
      String memberId, int generation, List<TopicPartition> partitions, boolean rebalancing)
      implements Reply {}

  public record Ack() implements Reply {}

  public record Offsets(Map<TopicPartition, OffsetAndMetadata> offsets) implements Reply {}

  public record Description(
      String state,
      int generation,
      String assignor,
      List<Member> members,
      Map<TopicPartition, OffsetAndMetadata> offsets)
      implements Reply {}

  public record Rejected(Rejection rejection) implements Reply {}

  // ---- events ----

  public sealed interface Event extends CohortSerializable {}

  /** A new generation: the members and their target assignments. */
  public record GroupRebalanced(
      int generation,
      Assignor assignor,
      List<Member> members,
      Map<String, Integer> partitionCounts,
      String reason)
      implements Event {}

  /**
   * A member was told its assignment: it owns {@code owned} from now on and is giving up {@code
   * revoking}, which no other member gets until this one acknowledges with its next heartbeat.
   */
  public record AssignmentDelivered(
      String memberId, List<TopicPartition> owned, List<TopicPartition> revoking)
      implements Event {}

  public record OffsetsCommitted(Map<TopicPartition, OffsetAndMetadata> offsets) implements Event {}

  /** Committed offsets removed: these partitions, or all when the list is empty. */
  public record OffsetsDeleted(List<TopicPartition> partitions) implements Event {}

  // ---- state ----

  /**
   * A member: {@code target} is what the assignor gave it in the current generation, {@code owned}
   * what it was last told it may consume, {@code revoking} what it was told to give up and has not
   * yet acknowledged (it may still be committing them).
   */
  public record Member(
      String memberId,
      String clientId,
      List<String> topics,
      long sessionTimeoutMs,
      List<TopicPartition> target,
      List<TopicPartition> owned,
      List<TopicPartition> revoking)
      implements CohortSerializable {

    Member withOwned(List<TopicPartition> next, List<TopicPartition> nextRevoking) {
      return new Member(memberId, clientId, topics, sessionTimeoutMs, target, next, nextRevoking);
    }

    Member withTarget(List<TopicPartition> next) {
      return new Member(memberId, clientId, topics, sessionTimeoutMs, next, owned, revoking);
    }
  }

  /** Immutable. */
  public record State(
      int generation,
      Assignor assignor,
      Map<String, Member> members,
      Map<String, Integer> partitionCounts,
      Map<TopicPartition, OffsetAndMetadata> offsets)
      implements CohortSerializable {

    static State empty() {
      return new State(0, null, Map.of(), Map.of(), Map.of());
    }

    /**
     * What {@code memberId} may consume now: its target minus what others still own or have not yet
     * acknowledged giving up.
     */
    List<TopicPartition> deliverable(String memberId) {
      Set<TopicPartition> ownedByOthers = new HashSet<>();
      members.forEach(
          (id, m) -> {
            if (!id.equals(memberId)) {
              ownedByOthers.addAll(m.owned());
              ownedByOthers.addAll(m.revoking());
            }
          });
      List<TopicPartition> out = new ArrayList<>();
      for (TopicPartition tp : members.get(memberId).target()) {
        if (!ownedByOthers.contains(tp)) {
          out.add(tp);
        }
      }
      return List.copyOf(out);
    }

    boolean rebalancing() {
      for (Member m : members.values()) {
        if (!m.revoking().isEmpty()
            || !new HashSet<>(m.owned()).equals(new HashSet<>(m.target()))) {
          return true;
        }
      }
      return false;
    }

    Set<String> subscribedTopics() {
      Set<String> topics = new TreeSet<>();
      members.values().forEach(m -> topics.addAll(m.topics()));
      return topics;
    }

    State apply(Event event) {
      return switch (event) {
        case GroupRebalanced e -> {
          Map<String, Member> next = new TreeMap<>();
          e.members().forEach(m -> next.put(m.memberId(), m));
          yield new State(
              e.generation(), e.assignor(), Map.copyOf(next), e.partitionCounts(), offsets);
        }
        case AssignmentDelivered e -> {
          Map<String, Member> next = new TreeMap<>(members);
          Member m = next.get(e.memberId());
          if (m != null) {
            next.put(e.memberId(), m.withOwned(e.owned(), e.revoking()));
          }
          yield new State(generation, assignor, Map.copyOf(next), partitionCounts, offsets);
        }
        case OffsetsCommitted e -> {
          Map<TopicPartition, OffsetAndMetadata> next = new TreeMap<>(offsets);
          next.putAll(e.offsets());
          yield new State(generation, assignor, members, partitionCounts, Map.copyOf(next));
        }
        case OffsetsDeleted e -> {
          Map<TopicPartition, OffsetAndMetadata> next = new TreeMap<>(offsets);
          if (e.partitions().isEmpty()) {
            next.clear();
          } else {
            e.partitions().forEach(next::remove);
          }
          yield new State(generation, assignor, members, partitionCounts, Map.copyOf(next));
        }
      };
    }
  }

  // ---- behavior ----

  private final String groupId;
  private final ActorContext<Command> context;
  private final LogSettings settings;
  private final LogMetrics metrics;

  /** Last time each member was heard from (System.nanoTime). Transient. */
  private final Map<String, Long> lastSeen = new HashMap<>();

  private GroupCoordinator(
      PersistenceId persistenceId,
      String groupId,
      ActorContext<Command> context,
      LogSettings settings) {
    super(persistenceId, settings.restartWithBackoff());
    this.groupId = groupId;
    this.context = context;
    this.settings = settings;
    this.metrics = LogMetrics.get(context.getSystem());
  }

  public static Behavior<Command> create(
      PersistenceId persistenceId, String groupId, LogSettings settings) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.groupCheckInterval());
                  return new GroupCoordinator(persistenceId, groupId, context, settings);
                }));
  }

  public static void init(ActorSystem<?> system, LogSettings settings) {
    // Placed by Cohort's consistent-hash ring, like every Cohort entity type.
    dev.cohort.sharding.EntityTypes.init(
        system,
        Entity.of(
            ENTITY_TYPE_KEY,
            ctx ->
                create(
                    PersistenceId.of(ENTITY_TYPE_KEY.name(), ctx.getEntityId()),
                    ctx.getEntityId(),
                    settings)));
  }

  static void registerPrivate(dev.cohort.persistence.KryoRegistrations.Registry registry) {
    registry.add(2290, Tick.class);
    registry.add(2291, CountsRefreshed.class);
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(
            settings.groupSnapshotEvery(), settings.groupKeepSnapshots())
        .withDeleteEventsOnSnapshot();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            s -> {
              long now = System.nanoTime();
              s.members().keySet().forEach(id -> lastSeen.put(id, now));
              publish(s);
            })
        .onSignal(PostStop.instance(), s -> metrics.groupStopped(groupId))
        .build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Join.class, this::onJoin)
        .onCommand(Heartbeat.class, this::onHeartbeat)
        .onCommand(Leave.class, this::onLeave)
        .onCommand(Commit.class, this::onCommit)
        .onCommand(
            GetOffsets.class, (s, c) -> Effect().reply(c.replyTo(), new Offsets(s.offsets())))
        .onCommand(Describe.class, (s, c) -> Effect().reply(c.replyTo(), describe(s)))
        .onCommand(DeleteOffsets.class, this::onDeleteOffsets)
        .onCommand(Tick.class, this::onTick)
        .onCommand(CountsRefreshed.class, this::onCountsRefreshed)
        .build();
  }

  private ReplyEffect<Event, State> onJoin(State state, Join command) {
    long min = settings.minSessionTimeout().toMillis();
    long max = settings.maxSessionTimeout().toMillis();
    if (command.sessionTimeoutMs() < min || command.sessionTimeoutMs() > max) {
      return reject(
          command.replyTo(),
          LogError.INVALID_SESSION_TIMEOUT,
          "session.timeout.ms must be from "
              + min
              + " to "
              + max
              + ", not "
              + command.sessionTimeoutMs());
    }
    if (command.topics().isEmpty()) {
      return reject(
          command.replyTo(),
          LogError.INVALID_REQUEST,
          "a member must subscribe to at least one topic");
    }
    if (state.assignor() != null
        && !state.members().isEmpty()
        && state.assignor() != command.assignor()) {
      return reject(
          command.replyTo(),
          LogError.INCONSISTENT_GROUP_PROTOCOL,
          "group '"
              + groupId
              + "' uses "
              + state.assignor().kafkaName()
              + ", not "
              + command.assignor().kafkaName());
    }
    String memberId = command.memberId() == null ? "" : command.memberId();
    Member existing = state.members().get(memberId);
    if (!memberId.isEmpty() && existing == null) {
      return unknownMember(command.replyTo(), memberId);
    }
    if (memberId.isEmpty()) {
      memberId = command.clientId() + "-" + UUID.randomUUID();
    }
    lastSeen.put(memberId, System.nanoTime());
    List<String> topics = List.copyOf(new TreeSet<>(command.topics()));
    Member joined =
        new Member(
            memberId,
            command.clientId(),
            topics,
            command.sessionTimeoutMs(),
            existing == null ? List.of() : existing.target(),
            existing == null ? List.of() : existing.owned(),
            existing == null ? List.of() : existing.revoking());
    Map<String, Member> members = new TreeMap<>(state.members());
    members.put(memberId, joined);
    Map<String, Integer> counts = new TreeMap<>(state.partitionCounts());
    counts.putAll(command.partitionCounts());
    boolean changed =
        existing == null
            || !existing.topics().equals(topics)
            || existing.sessionTimeoutMs() != command.sessionTimeoutMs()
            || !counts.equals(state.partitionCounts());
    List<Event> events = new ArrayList<>();
    State next = state;
    if (changed) {
      GroupRebalanced rebalanced =
          rebalance(state, members, counts, command.assignor(), "member " + memberId + " joined");
      events.add(rebalanced);
      next = next.apply(rebalanced);
    }
    return deliverAndReply(next, events, memberId, command.replyTo());
  }

  private ReplyEffect<Event, State> onHeartbeat(State state, Heartbeat command) {
    if (!state.members().containsKey(command.memberId())) {
      return unknownMember(command.replyTo(), command.memberId());
    }
    lastSeen.put(command.memberId(), System.nanoTime());
    return deliverAndReply(state, new ArrayList<>(), command.memberId(), command.replyTo());
  }

  /**
   * Persists {@code events} plus the member's new ownership if it changed, then answers it. A
   * heartbeat or re-join acknowledges the revocations of the previous answer: the member has
   * stopped consuming (and, with auto commit, committed) those partitions, so they may move.
   */
  private ReplyEffect<Event, State> deliverAndReply(
      State state, List<Event> events, String memberId, ActorRef<Reply> replyTo) {
    Member member = state.members().get(memberId);
    State acknowledged = state;
    if (!member.revoking().isEmpty()) {
      Map<String, Member> next = new TreeMap<>(state.members());
      next.put(memberId, member.withOwned(member.owned(), List.of()));
      acknowledged =
          new State(
              state.generation(),
              state.assignor(),
              Map.copyOf(next),
              state.partitionCounts(),
              state.offsets());
    }
    List<TopicPartition> deliver = acknowledged.deliverable(memberId);
    Set<TopicPartition> revoking = new java.util.TreeSet<>(member.owned());
    revoking.removeAll(deliver);
    if (!new HashSet<>(deliver).equals(new HashSet<>(member.owned()))
        || !new HashSet<>(revoking).equals(new HashSet<>(member.revoking()))) {
      events.add(new AssignmentDelivered(memberId, deliver, List.copyOf(revoking)));
    }
    if (events.isEmpty()) {
      return Effect().reply(replyTo, assignment(state, memberId));
    }
    boolean rebalanced = events.getFirst() instanceof GroupRebalanced;
    return Effect()
        .persist(events)
        .thenRun(
            s -> {
              publish(s);
              if (rebalanced) {
                metrics.rebalances.labelValues(groupId).inc();
              }
            })
        .thenReply(replyTo, s -> assignment(s, memberId));
  }

  private static Assignment assignment(State state, String memberId) {
    Member m = state.members().get(memberId);
    return new Assignment(memberId, state.generation(), m.owned(), state.rebalancing());
  }

  private ReplyEffect<Event, State> onLeave(State state, Leave command) {
    if (!state.members().containsKey(command.memberId())) {
      return unknownMember(command.replyTo(), command.memberId());
    }
    lastSeen.remove(command.memberId());
    Map<String, Member> members = new TreeMap<>(state.members());
    members.remove(command.memberId());
    GroupRebalanced event =
        rebalance(
            state,
            members,
            state.partitionCounts(),
            state.assignor(),
            "member " + command.memberId() + " left");
    return Effect()
        .persist(event)
        .thenRun(
            s -> {
              publish(s);
              metrics.rebalances.labelValues(groupId).inc();
            })
        .thenReply(command.replyTo(), s -> new Ack());
  }

  private ReplyEffect<Event, State> onDeleteOffsets(State state, DeleteOffsets command) {
    if (!state.members().isEmpty()) {
      return Effect()
          .reply(
              command.replyTo(),
              new Rejected(
                  LogError.NON_EMPTY_GROUP.rejection(
                      "group '"
                          + groupId
                          + "' has "
                          + state.members().size()
                          + " members; offsets are"
                          + " deleted only while it has none")));
    }
    return Effect()
        .persist(new OffsetsDeleted(List.copyOf(command.partitions())))
        .thenReply(command.replyTo(), s -> new Ack());
  }

  private ReplyEffect<Event, State> onCommit(State state, Commit command) {
    String memberId = command.memberId() == null ? "" : command.memberId();
    if (memberId.isEmpty()) {
      if (!state.members().isEmpty()) {
        return reject(
            command.replyTo(),
            LogError.ILLEGAL_GENERATION,
            "group '" + groupId + "' has members; commit as one of them");
      }
    } else if (!state.members().containsKey(memberId)) {
      return unknownMember(command.replyTo(), memberId);
    } else if (command.generation() != state.generation()) {
      return reject(
          command.replyTo(),
          LogError.ILLEGAL_GENERATION,
          "commit from generation "
              + command.generation()
              + " of group '"
              + groupId
              + "', which is at generation "
              + state.generation());
    }
    for (Map.Entry<TopicPartition, OffsetAndMetadata> e : command.offsets().entrySet()) {
      if (e.getValue().offset() < 0 || e.getKey().partition() < 0) {
        return reject(
            command.replyTo(),
            LogError.INVALID_REQUEST,
            "offset " + e.getValue().offset() + " for " + e.getKey() + " is negative");
      }
    }
    if (!memberId.isEmpty()) {
      lastSeen.put(memberId, System.nanoTime());
    }
    return Effect()
        .persist(new OffsetsCommitted(Map.copyOf(command.offsets())))
        .thenRun(this::publish)
        .thenReply(command.replyTo(), s -> new Ack());
  }

  private ReplyEffect<Event, State> onTick(State state, Tick tick) {
    if (state.members().isEmpty()) {
      return Effect().noReply();
    }
    long now = System.nanoTime();
    Map<String, Member> alive = new TreeMap<>();
    List<String> expired = new ArrayList<>();
    state
        .members()
        .forEach(
            (id, m) -> {
              long seen = lastSeen.getOrDefault(id, now);
              if (now - seen > m.sessionTimeoutMs() * 1_000_000L) {
                expired.add(id);
              } else {
                alive.put(id, m);
              }
            });
    List<String> topics = List.copyOf(state.subscribedTopics());
    AskStages.ask(
        context,
        TopicRegistry.Reply.class,
        ClusterSharding.get(context.getSystem())
            .entityRefFor(TopicRegistry.ENTITY_TYPE_KEY, TopicRegistry.ENTITY_ID),
        settings.askTimeout(),
        replyTo -> new TopicRegistry.GetPartitionCounts(topics, replyTo),
        (reply, failure) ->
            reply instanceof TopicRegistry.PartitionCounts counts
                ? new CountsRefreshed(counts.counts())
                : new CountsRefreshed(Map.of()));
    if (expired.isEmpty()) {
      return Effect().noReply();
    }
    expired.forEach(lastSeen::remove);
    context.getLog().info("group {}: session of {} timed out", groupId, expired);
    GroupRebalanced event =
        rebalance(
            state,
            alive,
            state.partitionCounts(),
            state.assignor(),
            "session timeout of " + expired);
    return Effect()
        .persist(event)
        .thenRun(
            s -> {
              publish(s);
              metrics.rebalances.labelValues(groupId).inc();
            })
        .thenNoReply();
  }

  private ReplyEffect<Event, State> onCountsRefreshed(State state, CountsRefreshed refreshed) {
    if (refreshed.counts().isEmpty() || state.members().isEmpty()) {
      return Effect().noReply();
    }
    Map<String, Integer> counts = new TreeMap<>(state.partitionCounts());
    counts.putAll(refreshed.counts());
    if (counts.equals(state.partitionCounts())) {
      return Effect().noReply();
    }
    GroupRebalanced event =
        rebalance(state, state.members(), counts, state.assignor(), "partition counts changed");
    return Effect()
        .persist(event)
        .thenRun(
            s -> {
              publish(s);
              metrics.rebalances.labelValues(groupId).inc();
            })
        .thenNoReply();
  }

  /** The next generation for {@code members}: targets from the assignor, ownership unchanged. */
  private static GroupRebalanced rebalance(
      State state,
      Map<String, Member> members,
      Map<String, Integer> counts,
      Assignor assignor,
      String reason) {
    List<Assignors.Subscriber> subscribers = new ArrayList<>();
    members
        .values()
        .forEach(
            m -> subscribers.add(new Assignors.Subscriber(m.memberId(), m.topics(), m.target())));
    Map<String, List<TopicPartition>> targets =
        subscribers.isEmpty() ? Map.of() : Assignors.assign(assignor, subscribers, counts);
    List<Member> next = new ArrayList<>();
    members
        .values()
        .forEach(m -> next.add(m.withTarget(targets.getOrDefault(m.memberId(), List.of()))));
    return new GroupRebalanced(
        state.generation() + 1, assignor, List.copyOf(next), Map.copyOf(counts), reason);
  }

  private Description describe(State state) {
    String groupState =
        state.members().isEmpty()
            ? "Empty"
            : state.rebalancing() ? "CompletingRebalance" : "Stable";
    return new Description(
        groupState,
        state.generation(),
        state.assignor() == null ? "" : state.assignor().kafkaName(),
        List.copyOf(state.members().values()),
        state.offsets());
  }

  private void publish(State state) {
    Map<TopicPartition, Long> committed = new HashMap<>();
    state.offsets().forEach((tp, o) -> committed.put(tp, o.offset()));
    metrics.group(groupId, state.members().size(), Map.copyOf(committed));
  }

  private ReplyEffect<Event, State> unknownMember(ActorRef<Reply> replyTo, String memberId) {
    return reject(
        replyTo,
        LogError.UNKNOWN_MEMBER_ID,
        "member '" + memberId + "' is not in group '" + groupId + "'");
  }

  private ReplyEffect<Event, State> reject(ActorRef<Reply> replyTo, LogError code, String message) {
    return Effect().reply(replyTo, new Rejected(code.rejection(message)));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }
}
