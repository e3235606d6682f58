package dev.cohort.kv.internal;

import dev.cohort.kv.KeyspaceInfo;
import dev.cohort.kv.Kv;
import dev.cohort.kv.KvError;
import dev.cohort.kv.KvSettings;
import dev.cohort.persistence.CohortSerializable;
import dev.cohort.persistence.Rejection;
import dev.cohort.sharding.EntityTypes;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
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

/**
 * The catalogue of CP keyspaces: one entity ({@link #ENTITY_ID}) for the whole cluster, the single
 * writer of keyspace names. The built-in {@code default} keyspace is never stored: it is answered
 * from configuration and cannot be deleted.
 *
 * <p>Each created keyspace gets a new incarnation number, part of its partitions' entity ids, so
 * that a keyspace deleted and created again starts with empty partitions.
 */
public final class KeyspaceRegistry
    extends EventSourcedBehaviorWithEnforcedReplies<
        KeyspaceRegistry.Command, KeyspaceRegistry.Event, KeyspaceRegistry.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "kv-keyspaces");
  public static final String ENTITY_ID = "keyspaces";

  // Command
  public sealed interface Command extends CohortSerializable {}

  public record Create(String name, String mode, int partitions, ActorRef<Reply> replyTo)
      implements Command {}

  public record Get(String name, ActorRef<Reply> replyTo) implements Command {}

  public record ListAll(ActorRef<Reply> replyTo) implements Command {}

  public record Delete(String name, ActorRef<Reply> replyTo) implements Command {}

  // Reply
  public sealed interface Reply extends CohortSerializable {}

  public record Found(KeyspaceInfo info) implements Reply {}

  public record Listed(List<KeyspaceInfo> keyspaces) implements Reply {}

  public record Rejected(Rejection rejection) implements Reply {}

  // Event
  public sealed interface Event extends CohortSerializable {}

  public record KeyspaceCreated(KeyspaceInfo info) implements Event {}

  public record KeyspaceDeleted(String name, long atMillis) implements Event {}

  // State
  public record State(TreeMap<String, KeyspaceInfo> keyspaces, long nextIncarnation)
      implements CohortSerializable {

    State add(KeyspaceInfo info) {
      TreeMap<String, KeyspaceInfo> next = new TreeMap<>(keyspaces);
      next.put(info.name(), info);
      return new State(next, Math.max(nextIncarnation, info.incarnation() + 1));
    }

    State remove(String name) {
      TreeMap<String, KeyspaceInfo> next = new TreeMap<>(keyspaces);
      next.remove(name);
      return new State(next, nextIncarnation);
    }
  }

  public static void init(ActorSystem<?> system, KvSettings settings) {
    EntityTypes.init(
        system, Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), settings)));
  }

  public static Behavior<Command> create(String entityId, KvSettings settings) {
    return new KeyspaceRegistry(entityId, settings);
  }

  private final KvSettings settings;
  private final KeyspaceInfo defaultKeyspace;

  private KeyspaceRegistry(String entityId, KvSettings settings) {
    super(
        PersistenceId.of(ENTITY_TYPE_KEY.name(), entityId),
        EntitySupervision.restartWithBackoff(settings));
    this.settings = settings;
    this.defaultKeyspace = defaultKeyspace(settings);
  }

  /** The built-in keyspace: incarnation 0, {@code default-partitions} partitions. */
  public static KeyspaceInfo defaultKeyspace(KvSettings settings) {
    return new KeyspaceInfo(Kv.DEFAULT_KEYSPACE, "cp", settings.defaultPartitions(), 0, 0, false);
  }

  @Override
  public State emptyState() {
    return new State(new TreeMap<>(), 1);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Create.class, this::onCreate)
        .onCommand(Get.class, this::onGet)
        .onCommand(ListAll.class, this::onList)
        .onCommand(Delete.class, this::onDelete)
        .build();
  }

  private KeyspaceInfo lookup(State state, String name) {
    return Kv.DEFAULT_KEYSPACE.equals(name) ? defaultKeyspace : state.keyspaces().get(name);
  }

  private ReplyEffect<Event, State> onCreate(State state, Create create) {
    Rejection problem = check(create);
    if (problem != null) {
      return Effect().reply(create.replyTo(), new Rejected(problem));
    }
    KeyspaceInfo existing = lookup(state, create.name());
    if (existing != null) {
      if (existing.partitions() == create.partitions() && existing.mode().equals(create.mode())) {
        return Effect().reply(create.replyTo(), new Found(existing));
      }
      return Effect()
          .reply(
              create.replyTo(),
              new Rejected(
                  KvError.KEYSPACE_EXISTS.rejection(
                      "keyspace '"
                          + create.name()
                          + "' exists with mode "
                          + existing.mode()
                          + " and "
                          + existing.partitions()
                          + " partitions")));
    }
    KeyspaceInfo info =
        new KeyspaceInfo(
            create.name(),
            create.mode(),
            create.partitions(),
            state.nextIncarnation(),
            System.currentTimeMillis(),
            false);
    return Effect()
        .persist(new KeyspaceCreated(info))
        .thenReply(
            create.replyTo(),
            s ->
                new Found(
                    new KeyspaceInfo(
                        info.name(),
                        info.mode(),
                        info.partitions(),
                        info.incarnation(),
                        info.createdAtMillis(),
                        true)));
  }

  private Rejection check(Create create) {
    if (!Keys.validKeyspaceName(create.name())) {
      return KvError.INVALID_KEYSPACE_NAME.rejection(
          "keyspace name '" + create.name() + "' must match [a-z0-9][a-z0-9._-]{0,63}");
    }
    if (!"cp".equals(create.mode()) && !"ap".equals(create.mode())) {
      return KvError.UNSUPPORTED_MODE.rejection(
          "keyspace mode must be 'cp' or 'ap' (got '" + create.mode() + "')");
    }
    if ("ap".equals(create.mode())) {
      // AP keyspaces live in Distributed Data buckets (cohort.kv.ap.buckets), not in partitions.
      return create.partitions() == 0
          ? null
          : KvError.INVALID_PARTITIONS.rejection(
              "an AP keyspace has no partitions (got " + create.partitions() + ")");
    }
    if (create.partitions() < 1 || create.partitions() > settings.maxPartitions()) {
      return KvError.INVALID_PARTITIONS.rejection(
          "partitions must be within 1.."
              + settings.maxPartitions()
              + " (got "
              + create.partitions()
              + ")");
    }
    return null;
  }

  private ReplyEffect<Event, State> onGet(State state, Get get) {
    KeyspaceInfo info = lookup(state, get.name());
    if (info == null) {
      return Effect().reply(get.replyTo(), new Rejected(notFound(get.name())));
    }
    return Effect().reply(get.replyTo(), new Found(info));
  }

  private static Rejection notFound(String name) {
    return KvError.KEYSPACE_NOT_FOUND.rejection("keyspace '" + name + "' does not exist");
  }

  private ReplyEffect<Event, State> onList(State state, ListAll list) {
    List<KeyspaceInfo> all = new ArrayList<>(state.keyspaces().values());
    all.add(defaultKeyspace);
    all.sort(java.util.Comparator.comparing(KeyspaceInfo::name));
    return Effect().reply(list.replyTo(), new Listed(List.copyOf(all)));
  }

  private ReplyEffect<Event, State> onDelete(State state, Delete delete) {
    if (Kv.DEFAULT_KEYSPACE.equals(delete.name())) {
      return Effect()
          .reply(
              delete.replyTo(),
              new Rejected(
                  KvError.DEFAULT_KEYSPACE.rejection("the default keyspace cannot be deleted")));
    }
    KeyspaceInfo info = state.keyspaces().get(delete.name());
    if (info == null) {
      return Effect().reply(delete.replyTo(), new Rejected(notFound(delete.name())));
    }
    return Effect()
        .persist(new KeyspaceDeleted(delete.name(), System.currentTimeMillis()))
        .thenReply(delete.replyTo(), s -> new Found(info));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(KeyspaceCreated.class, (state, e) -> state.add(e.info()))
        .onEvent(KeyspaceDeleted.class, (state, e) -> state.remove(e.name()))
        .build();
  }
}
