package dev.cohort.sharding.internal;

import dev.cohort.persistence.CohortSerializable;
import dev.cohort.sharding.EntityTypes;
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

/** A durable counter: the foundation's smoke entity behind {@link dev.cohort.sharding.Counters}. */
public final class CounterEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        CounterEntity.Command, CounterEntity.Incremented, CounterEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "Counter");

  // Command
  public sealed interface Command extends CohortSerializable {}

  public record Increment(long delta, ActorRef<Value> replyTo) implements Command {}

  public record Get(ActorRef<Value> replyTo) implements Command {}

  // Reply
  public record Value(long value) implements CohortSerializable {}

  // Event
  public record Incremented(long delta) implements CohortSerializable {}

  // State
  public record State(long value) implements CohortSerializable {
    State apply(Incremented event) {
      return new State(value + event.delta());
    }
  }

  public static void init(ActorSystem<?> system) {
    EntityTypes.init(system, Entity.of(ENTITY_TYPE_KEY, context -> create(context.getEntityId())));
  }

  public static Behavior<Command> create(String name) {
    return new CounterEntity(PersistenceId.of(ENTITY_TYPE_KEY.name(), name));
  }

  private CounterEntity(PersistenceId persistenceId) {
    super(persistenceId);
  }

  @Override
  public State emptyState() {
    return new State(0);
  }

  @Override
  public CommandHandlerWithReply<Command, Incremented, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Increment.class, this::onIncrement)
        .onCommand(
            Get.class, (state, get) -> Effect().reply(get.replyTo(), new Value(state.value())))
        .build();
  }

  /** Persist before replying: a reply sent first could acknowledge a write a crash then loses. */
  private ReplyEffect<Incremented, State> onIncrement(State state, Increment increment) {
    return Effect()
        .persist(new Incremented(increment.delta()))
        .thenReply(increment.replyTo(), next -> new Value(next.value()));
  }

  @Override
  public EventHandler<State, Incremented> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }
}
