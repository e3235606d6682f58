package dev.cohort.log.internal;

import dev.cohort.log.LogError;
import dev.cohort.log.LogException;
import dev.cohort.log.TopicConfig;
import dev.cohort.persistence.CohortSerializable;
import dev.cohort.persistence.Rejection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The registry of topics and consumer-group names: one sharded, event-sourced entity (id {@value
 * #ENTITY_ID}), the single writer of topic metadata. It validates names, partition counts and
 * configs, assigns each topic a fresh id (so that a topic deleted and created again never mixes
 * with its old partitions), and answers metadata lookups. Partition entities are configured by the
 * embedded API after the registry accepted a change.
 */
public final class TopicRegistry
    extends EventSourcedBehaviorWithEnforcedReplies<
        TopicRegistry.Command, TopicRegistry.Event, TopicRegistry.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "LogTopicRegistry");
  public static final String ENTITY_ID = "topics";

  /** Kafka's legal topic names. */
  public static final Pattern TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  // ---- commands ----

  public sealed interface Command extends CohortSerializable {}

  public record CreateTopic(
      String name, int partitions, Map<String, String> configs, ActorRef<Reply> replyTo)
      implements Command {}

  public record DescribeTopic(String name, ActorRef<Reply> replyTo) implements Command {}

  public record ListTopics(ActorRef<Reply> replyTo) implements Command {}

  public record AlterConfigs(String name, Map<String, String> configs, ActorRef<Reply> replyTo)
      implements Command {}

  public record AddPartitions(String name, int totalPartitions, ActorRef<Reply> replyTo)
      implements Command {}

  public record DeleteTopic(String name, ActorRef<Reply> replyTo) implements Command {}

  /** Partition counts of the named topics (a missing topic counts 0): for group coordinators. */
  public record GetPartitionCounts(List<String> topics, ActorRef<Reply> replyTo)
      implements Command {}

  public record RegisterGroup(String groupId, ActorRef<Reply> replyTo) implements Command {}

  public record ListGroups(ActorRef<Reply> replyTo) implements Command {}

  /** Forgets a group id (a deleted group); answers the remaining group ids. */
  public record UnregisterGroup(String groupId, ActorRef<Reply> replyTo) implements Command {}

  // ---- replies ----

  public sealed interface Reply extends CohortSerializable {}

  /** A topic's metadata; {@code version} rises with every change to the topic. */
  public record TopicMetadata(
      String name, String topicId, int partitions, TopicConfig config, long version)
      implements Reply {}

  public record Names(List<String> names) implements Reply {}

  public record PartitionCounts(Map<String, Integer> counts) implements Reply {}

  public record Rejected(Rejection rejection) implements Reply {}

  // ---- events ----

  public sealed interface Event extends CohortSerializable {}

  public record TopicCreated(String name, String topicId, int partitions, TopicConfig config)
      implements Event {}

  public record TopicConfigAltered(String name, TopicConfig config) implements Event {}

  public record PartitionsAdded(String name, int totalPartitions) implements Event {}

  public record TopicDeleted(String name) implements Event {}

  public record GroupRegistered(String groupId) implements Event {}

  public record GroupUnregistered(String groupId) implements Event {}

  // ---- state ----

  /** All topics by name and all group ids; immutable. */
  public record State(Map<String, TopicMetadata> topics, List<String> groups)
      implements CohortSerializable {
    static State empty() {
      return new State(Map.of(), List.of());
    }

    State with(TopicMetadata topic) {
      TreeMap<String, TopicMetadata> next = new TreeMap<>(topics);
      next.put(topic.name(), topic);
      return new State(Map.copyOf(next), groups);
    }

    State without(String name) {
      TreeMap<String, TopicMetadata> next = new TreeMap<>(topics);
      next.remove(name);
      return new State(Map.copyOf(next), groups);
    }

    State withGroup(String groupId) {
      TreeSet<String> next = new TreeSet<>(groups);
      next.add(groupId);
      return new State(topics, List.copyOf(next));
    }

    State withoutGroup(String groupId) {
      TreeSet<String> next = new TreeSet<>(groups);
      next.remove(groupId);
      return new State(topics, List.copyOf(next));
    }

    TopicMetadata get(String name) {
      return topics.get(name);
    }
  }

  private final LogSettings settings;

  private TopicRegistry(PersistenceId persistenceId, LogSettings settings) {
    super(persistenceId, settings.restartWithBackoff());
    this.settings = settings;
  }

  public static Behavior<Command> create(PersistenceId persistenceId, LogSettings settings) {
    return new TopicRegistry(persistenceId, settings);
  }

  public static void init(ActorSystem<?> system, LogSettings settings) {
    // Placed by Cohort's consistent-hash ring, like every Cohort entity type.
    dev.cohort.sharding.EntityTypes.init(
        system,
        Entity.of(
            ENTITY_TYPE_KEY,
            ctx -> create(PersistenceId.of(ENTITY_TYPE_KEY.name(), ctx.getEntityId()), settings)));
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(
            settings.registrySnapshotEvery(), settings.registryKeepSnapshots())
        .withDeleteEventsOnSnapshot();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(CreateTopic.class, this::onCreate)
        .onCommand(DescribeTopic.class, this::onDescribe)
        .onCommand(ListTopics.class, (s, c) -> Effect().reply(c.replyTo(), names(s)))
        .onCommand(AlterConfigs.class, this::onAlter)
        .onCommand(AddPartitions.class, this::onAddPartitions)
        .onCommand(DeleteTopic.class, this::onDelete)
        .onCommand(GetPartitionCounts.class, this::onCounts)
        .onCommand(RegisterGroup.class, this::onRegisterGroup)
        .onCommand(UnregisterGroup.class, this::onUnregisterGroup)
        .onCommand(ListGroups.class, (s, c) -> Effect().reply(c.replyTo(), new Names(s.groups())))
        .build();
  }

  private ReplyEffect<Event, State> onCreate(State state, CreateTopic command) {
    Rejection invalid = validateName(command.name());
    if (invalid == null) {
      invalid = validatePartitions(command.partitions());
    }
    if (invalid != null) {
      return Effect().reply(command.replyTo(), new Rejected(invalid));
    }
    if (state.get(command.name()) != null) {
      return Effect()
          .reply(
              command.replyTo(),
              new Rejected(
                  LogError.TOPIC_ALREADY_EXISTS.rejection(
                      "topic '" + command.name() + "' already exists")));
    }
    TopicConfig config;
    try {
      config = settings.topicDefaults().with(command.configs());
    } catch (LogException e) {
      return Effect().reply(command.replyTo(), new Rejected(e.toRejection()));
    }
    TopicCreated event =
        new TopicCreated(
            command.name(), UUID.randomUUID().toString(), command.partitions(), config);
    return Effect().persist(event).thenReply(command.replyTo(), s -> s.get(command.name()));
  }

  private ReplyEffect<Event, State> onDescribe(State state, DescribeTopic command) {
    TopicMetadata topic = state.get(command.name());
    return Effect().reply(command.replyTo(), topic != null ? topic : unknown(command.name()));
  }

  private ReplyEffect<Event, State> onAlter(State state, AlterConfigs command) {
    TopicMetadata topic = state.get(command.name());
    if (topic == null) {
      return Effect().reply(command.replyTo(), unknown(command.name()));
    }
    TopicConfig config;
    try {
      config = topic.config().with(command.configs());
    } catch (LogException e) {
      return Effect().reply(command.replyTo(), new Rejected(e.toRejection()));
    }
    return Effect()
        .persist(new TopicConfigAltered(command.name(), config))
        .thenReply(command.replyTo(), s -> s.get(command.name()));
  }

  private ReplyEffect<Event, State> onAddPartitions(State state, AddPartitions command) {
    TopicMetadata topic = state.get(command.name());
    if (topic == null) {
      return Effect().reply(command.replyTo(), unknown(command.name()));
    }
    Rejection invalid = validatePartitions(command.totalPartitions());
    if (invalid == null && command.totalPartitions() < topic.partitions()) {
      invalid =
          LogError.INVALID_PARTITIONS.rejection(
              "topic '"
                  + command.name()
                  + "' has "
                  + topic.partitions()
                  + " partitions; partitions can be added, never removed");
    }
    if (invalid != null) {
      return Effect().reply(command.replyTo(), new Rejected(invalid));
    }
    if (command.totalPartitions() == topic.partitions()) {
      return Effect().reply(command.replyTo(), topic);
    }
    return Effect()
        .persist(new PartitionsAdded(command.name(), command.totalPartitions()))
        .thenReply(command.replyTo(), s -> s.get(command.name()));
  }

  private ReplyEffect<Event, State> onDelete(State state, DeleteTopic command) {
    TopicMetadata topic = state.get(command.name());
    if (topic == null) {
      return Effect().reply(command.replyTo(), unknown(command.name()));
    }
    return Effect()
        .persist(new TopicDeleted(command.name()))
        .thenReply(command.replyTo(), s -> topic);
  }

  private ReplyEffect<Event, State> onCounts(State state, GetPartitionCounts command) {
    Map<String, Integer> counts = new TreeMap<>();
    for (String name : command.topics()) {
      TopicMetadata topic = state.get(name);
      counts.put(name, topic == null ? 0 : topic.partitions());
    }
    return Effect().reply(command.replyTo(), new PartitionCounts(Map.copyOf(counts)));
  }

  private ReplyEffect<Event, State> onRegisterGroup(State state, RegisterGroup command) {
    if (state.groups().contains(command.groupId())) {
      return Effect().reply(command.replyTo(), names(state));
    }
    return Effect()
        .persist(new GroupRegistered(command.groupId()))
        .thenReply(command.replyTo(), s -> new Names(s.groups()));
  }

  private ReplyEffect<Event, State> onUnregisterGroup(State state, UnregisterGroup command) {
    if (!state.groups().contains(command.groupId())) {
      return Effect().reply(command.replyTo(), new Names(state.groups()));
    }
    return Effect()
        .persist(new GroupUnregistered(command.groupId()))
        .thenReply(command.replyTo(), s -> new Names(s.groups()));
  }

  private static Names names(State state) {
    return new Names(List.copyOf(new ArrayList<>(new TreeSet<>(state.topics().keySet()))));
  }

  private Rejection validatePartitions(int partitions) {
    if (partitions < 1 || partitions > settings.maxPartitions()) {
      return LogError.INVALID_PARTITIONS.rejection(
          "partitions must be from 1 to " + settings.maxPartitions() + ", not " + partitions);
    }
    return null;
  }

  /** Null when {@code name} is a legal topic name, else the rejection. */
  public static Rejection validateName(String name) {
    if (name == null
        || !TOPIC_NAME.matcher(name).matches()
        || name.equals(".")
        || name.equals("..")) {
      return LogError.INVALID_TOPIC_NAME.rejection(
          "topic name '" + name + "' is invalid: use 1 to 249 of [a-zA-Z0-9._-], not '.' or '..'");
    }
    return null;
  }

  static Rejected unknown(String name) {
    return new Rejected(
        LogError.UNKNOWN_TOPIC_OR_PARTITION.rejection("topic '" + name + "' does not exist"));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(
            TopicCreated.class,
            (s, e) ->
                s.with(new TopicMetadata(e.name(), e.topicId(), e.partitions(), e.config(), 1)))
        .onEvent(TopicConfigAltered.class, (s, e) -> s.with(altered(s.get(e.name()), e.config())))
        .onEvent(
            PartitionsAdded.class, (s, e) -> s.with(grown(s.get(e.name()), e.totalPartitions())))
        .onEvent(TopicDeleted.class, (s, e) -> s.without(e.name()))
        .onEvent(GroupRegistered.class, (s, e) -> s.withGroup(e.groupId()))
        .onEvent(GroupUnregistered.class, (s, e) -> s.withoutGroup(e.groupId()))
        .build();
  }

  private static TopicMetadata altered(TopicMetadata t, TopicConfig config) {
    return new TopicMetadata(t.name(), t.topicId(), t.partitions(), config, t.version() + 1);
  }

  private static TopicMetadata grown(TopicMetadata t, int partitions) {
    return new TopicMetadata(t.name(), t.topicId(), partitions, t.config(), t.version() + 1);
  }
}
