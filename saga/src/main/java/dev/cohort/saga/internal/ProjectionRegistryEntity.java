package dev.cohort.saga.internal;

import dev.cohort.persistence.CohortSerializable;
import dev.cohort.sharding.EntityTypes;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
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
 * The names of the cluster's projections (one entity, {@link #ENTITY_ID}): what {@code list} reads
 * and where every node's waker finds the projections to keep running. A name is registered before
 * its projection entity is created and removed after it was deleted, so a running projection is
 * always registered (a registered name may belong to no projection; list skips it).
 */
public final class ProjectionRegistryEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        ProjectionRegistryEntity.Command,
        ProjectionRegistryEntity.Event,
        ProjectionRegistryEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "saga-projection-registry");
  public static final String ENTITY_ID = "projections";

  // Command
  public sealed interface Command extends CohortSerializable {}

  public record Register(String name, ActorRef<Reply> replyTo) implements Command {}

  public record Unregister(String name, ActorRef<Reply> replyTo) implements Command {}

  public record ListNames(ActorRef<Reply> replyTo) implements Command {}

  // Reply
  public sealed interface Reply extends CohortSerializable {}

  public record Names(List<String> names) implements Reply {
    public Names {
      names = List.copyOf(names);
    }
  }

  // Event
  public sealed interface Event extends CohortSerializable {}

  public record NameRegistered(String name) implements Event {}

  public record NameUnregistered(String name) implements Event {}

  // State
  public record State(Set<String> names) implements CohortSerializable {
    public State {
      names = Set.copyOf(names);
    }

    State with(String name) {
      Set<String> next = new TreeSet<>(names);
      next.add(name);
      return new State(next);
    }

    State without(String name) {
      Set<String> next = new TreeSet<>(names);
      next.remove(name);
      return new State(next);
    }

    Names sorted() {
      return new Names(List.copyOf(new TreeSet<>(names)));
    }
  }

  static void init(ActorSystem<?> system, ProjectionSettings settings) {
    EntityTypes.init(
        system, Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), settings)));
  }

  static Behavior<Command> create(String entityId, ProjectionSettings settings) {
    return new ProjectionRegistryEntity(
        PersistenceId.of(ENTITY_TYPE_KEY.name(), entityId), settings);
  }

  private final int snapshotEvery;

  private ProjectionRegistryEntity(PersistenceId persistenceId, ProjectionSettings settings) {
    super(persistenceId, settings.restartStrategy());
    this.snapshotEvery = settings.registrySnapshotEvery();
  }

  @Override
  public State emptyState() {
    return new State(Set.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(snapshotEvery, 2);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Register.class, this::onRegister)
        .onCommand(Unregister.class, this::onUnregister)
        .onCommand(ListNames.class, (state, list) -> Effect().reply(list.replyTo(), state.sorted()))
        .build();
  }

  private ReplyEffect<Event, State> onRegister(State state, Register register) {
    if (state.names().contains(register.name())) {
      return Effect().reply(register.replyTo(), state.sorted());
    }
    return Effect()
        .persist(new NameRegistered(register.name()))
        .thenReply(register.replyTo(), State::sorted);
  }

  private ReplyEffect<Event, State> onUnregister(State state, Unregister unregister) {
    if (!state.names().contains(unregister.name())) {
      return Effect().reply(unregister.replyTo(), state.sorted());
    }
    return Effect()
        .persist(new NameUnregistered(unregister.name()))
        .thenReply(unregister.replyTo(), State::sorted);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(NameRegistered.class, (state, e) -> state.with(e.name()))
        .onEvent(NameUnregistered.class, (state, e) -> state.without(e.name()))
        .build();
  }
}
