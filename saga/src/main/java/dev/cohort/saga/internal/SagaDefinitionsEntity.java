package dev.cohort.saga.internal;

import dev.cohort.persistence.CohortSerializable;
import dev.cohort.persistence.Rejection;
import dev.cohort.saga.SagaDefinition;
import dev.cohort.saga.SagaError;
import dev.cohort.saga.SagaException;
import dev.cohort.saga.SagaSettings;
import dev.cohort.sharding.EntityTypes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The saga definitions of the cluster, every version of each name; one entity ({@link #ENTITY_ID})
 * because definitions are few and small and {@code definitions()} must see them all. Version
 * numbers only grow, also across a delete. Validates every definition again (the API did too): a
 * definition that is stored is a valid one.
 */
public final class SagaDefinitionsEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        SagaDefinitionsEntity.Command, SagaDefinitionsEntity.Event, SagaDefinitionsEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "saga-definitions");
  public static final String ENTITY_ID = "definitions";

  // Command
  public sealed interface Command extends CohortSerializable {}

  /** Stores {@code definition} as the next version (or answers the latest when equal to it). */
  public record Define(SagaDefinition definition, ActorRef<Reply> replyTo) implements Command {}

  /** One version; 0 means the latest. */
  public record GetDefinition(String name, int version, ActorRef<Reply> replyTo)
      implements Command {}

  public record ListDefinitions(ActorRef<Reply> replyTo) implements Command {}

  public record DeleteDefinition(String name, ActorRef<Reply> replyTo) implements Command {}

  // Reply
  public sealed interface Reply extends CohortSerializable {}

  public record Found(SagaDefinition definition) implements Reply {}

  public record Listed(List<SagaDefinition> definitions) implements Reply {}

  public record Deleted(String name) implements Reply {}

  public record Refused(Rejection rejection) implements Reply, EntityReplies.Refusal {}

  // Event
  public sealed interface Event extends CohortSerializable {}

  public record DefinitionStored(SagaDefinition definition) implements Event {}

  public record DefinitionDeleted(String name) implements Event {}

  // State
  /** The versions of one name (empty once deleted) and the highest version ever given. */
  public record Versions(List<SagaDefinition> versions, int lastVersion)
      implements CohortSerializable {
    public Versions {
      versions = versions == null ? List.of() : List.copyOf(versions);
    }
  }

  public record State(Map<String, Versions> byName) implements CohortSerializable {
    State stored(DefinitionStored e) {
      Map<String, Versions> next = new TreeMap<>(byName);
      Versions old = byName.getOrDefault(e.definition().name(), new Versions(List.of(), 0));
      List<SagaDefinition> versions = new ArrayList<>(old.versions());
      versions.add(e.definition());
      next.put(e.definition().name(), new Versions(versions, e.definition().version()));
      return new State(next);
    }

    State deleted(DefinitionDeleted e) {
      Map<String, Versions> next = new TreeMap<>(byName);
      Versions old = byName.get(e.name());
      next.put(e.name(), new Versions(List.of(), old == null ? 0 : old.lastVersion()));
      return new State(next);
    }

    List<SagaDefinition> versions(String name) {
      Versions v = byName.get(name);
      return v == null ? List.of() : v.versions();
    }
  }

  /** Registers the entity type with Cluster Sharding on this node. */
  public static void init(ActorSystem<?> system, SagaSettings settings) {
    EntityTypes.init(
        system, Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), settings)));
  }

  public static Behavior<Command> create(String entityId, SagaSettings settings) {
    return new SagaDefinitionsEntity(PersistenceId.of(ENTITY_TYPE_KEY.name(), entityId), settings);
  }

  private final int snapshotEvery;

  private SagaDefinitionsEntity(PersistenceId persistenceId, SagaSettings settings) {
    super(persistenceId, settings.restartStrategy());
    this.snapshotEvery = settings.definitionsSnapshotEvery();
  }

  @Override
  public State emptyState() {
    return new State(new TreeMap<>());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(snapshotEvery, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Define.class, this::onDefine)
        .onCommand(GetDefinition.class, this::onGet)
        .onCommand(ListDefinitions.class, this::onList)
        .onCommand(DeleteDefinition.class, this::onDelete)
        .build();
  }

  private ReplyEffect<Event, State> onDefine(State state, Define define) {
    try {
      define.definition().validate();
    } catch (SagaException e) {
      return Effect().reply(define.replyTo(), new Refused(e.toRejection()));
    }
    List<SagaDefinition> versions = state.versions(define.definition().name());
    if (!versions.isEmpty()) {
      SagaDefinition latest = versions.get(versions.size() - 1);
      if (latest.withVersion(0).equals(define.definition().withVersion(0))) {
        return Effect().reply(define.replyTo(), new Found(latest));
      }
    }
    Versions known = state.byName().get(define.definition().name());
    int version = (known == null ? 0 : known.lastVersion()) + 1;
    SagaDefinition stored = define.definition().withVersion(version);
    return Effect()
        .persist(new DefinitionStored(stored))
        .thenReply(define.replyTo(), next -> new Found(stored));
  }

  private ReplyEffect<Event, State> onGet(State state, GetDefinition get) {
    List<SagaDefinition> versions = state.versions(get.name());
    if (!versions.isEmpty()) {
      if (get.version() == 0) {
        return Effect().reply(get.replyTo(), new Found(versions.get(versions.size() - 1)));
      }
      for (SagaDefinition d : versions) {
        if (d.version() == get.version()) {
          return Effect().reply(get.replyTo(), new Found(d));
        }
      }
    }
    return Effect()
        .reply(
            get.replyTo(),
            new Refused(
                SagaError.DEFINITION_NOT_FOUND.rejection(
                    "saga definition '"
                        + get.name()
                        + "'"
                        + (get.version() == 0 ? "" : " version " + get.version())
                        + " does not exist")));
  }

  private ReplyEffect<Event, State> onList(State state, ListDefinitions list) {
    List<SagaDefinition> latest = new ArrayList<>();
    for (Versions v : state.byName().values()) {
      if (!v.versions().isEmpty()) {
        latest.add(v.versions().get(v.versions().size() - 1));
      }
    }
    return Effect().reply(list.replyTo(), new Listed(latest));
  }

  private ReplyEffect<Event, State> onDelete(State state, DeleteDefinition delete) {
    if (state.versions(delete.name()).isEmpty()) {
      return Effect()
          .reply(
              delete.replyTo(),
              new Refused(
                  SagaError.DEFINITION_NOT_FOUND.rejection(
                      "saga definition '" + delete.name() + "' does not exist")));
    }
    return Effect()
        .persist(new DefinitionDeleted(delete.name()))
        .thenReply(delete.replyTo(), next -> new Deleted(delete.name()));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(DefinitionStored.class, State::stored)
        .onEvent(DefinitionDeleted.class, State::deleted)
        .build();
  }
}
