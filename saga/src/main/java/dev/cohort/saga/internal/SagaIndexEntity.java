package dev.cohort.saga.internal;

import dev.cohort.persistence.CohortSerializable;
import dev.cohort.saga.SagaSettings;
import dev.cohort.saga.SagaState;
import dev.cohort.saga.SagaSummary;
import dev.cohort.sharding.EntityTypes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * One bucket of the instance index ({@code cohort.saga.index-buckets} buckets, an instance placed
 * by a hash of its id): what {@code list} answers and where the waker finds active instances after
 * a restart. An instance is registered here before it starts (a placeholder with {@code updatedAt}
 * of the epoch, so that an instance whose node crashed right after it started is still found) and
 * reports each state change afterwards; a report older than the entry is ignored.
 *
 * <p>The state map is updated in place by the event handler (copying it per event would cost
 * O(instances)); only this entity's thread touches it, and snapshots bound recovery.
 */
public final class SagaIndexEntity
    extends EventSourcedBehaviorWithEnforcedReplies<
        SagaIndexEntity.Command, SagaIndexEntity.Event, SagaIndexEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "saga-index");

  // Command
  public sealed interface Command extends CohortSerializable {}

  /** Adds a placeholder for an instance about to start, unless the id is known. */
  public record Register(SagaSummary placeholder, ActorRef<Reply> replyTo) implements Command {}

  /** An instance's current summary. */
  public record Upsert(SagaSummary summary) implements Command {}

  /** Entries filtered by definition and states; placeholders only when asked. */
  public record Query(
      Optional<String> definition,
      List<SagaState> states,
      boolean withPlaceholders,
      int limit,
      ActorRef<Reply> replyTo)
      implements Command {}

  // Reply
  public sealed interface Reply extends CohortSerializable {}

  public record Registered(String id) implements Reply {}

  public record Listing(List<SagaSummary> entries) implements Reply {}

  // Event
  public sealed interface Event extends CohortSerializable {}

  public record Indexed(SagaSummary summary) implements Event {}

  // State
  public record State(Map<String, SagaSummary> entries) implements CohortSerializable {
    State apply(Indexed e) {
      entries.put(e.summary().id(), e.summary());
      return this;
    }
  }

  public static String bucketOf(String instanceId, int buckets) {
    return "bucket-" + Math.floorMod(instanceId.hashCode(), buckets);
  }

  public static boolean isPlaceholder(SagaSummary summary) {
    return summary.updatedAt().equals(Instant.EPOCH);
  }

  /** Registers the entity type with Cluster Sharding on this node. */
  public static void init(ActorSystem<?> system, SagaSettings settings) {
    EntityTypes.init(
        system, Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), settings)));
  }

  public static Behavior<Command> create(String bucket, SagaSettings settings) {
    return new SagaIndexEntity(PersistenceId.of(ENTITY_TYPE_KEY.name(), bucket), settings);
  }

  private final int snapshotEvery;

  private SagaIndexEntity(PersistenceId persistenceId, SagaSettings settings) {
    super(persistenceId, settings.restartStrategy());
    this.snapshotEvery = settings.indexSnapshotEvery();
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
        .onCommand(Register.class, this::onRegister)
        .onCommand(Upsert.class, this::onUpsert)
        .onCommand(Query.class, this::onQuery)
        .build();
  }

  private ReplyEffect<Event, State> onRegister(State state, Register register) {
    String id = register.placeholder().id();
    if (state.entries().containsKey(id)) {
      return Effect().reply(register.replyTo(), new Registered(id));
    }
    return Effect()
        .persist(new Indexed(register.placeholder()))
        .thenReply(register.replyTo(), next -> new Registered(id));
  }

  private ReplyEffect<Event, State> onUpsert(State state, Upsert upsert) {
    SagaSummary known = state.entries().get(upsert.summary().id());
    if (upsert.summary().equals(known)
        || (known != null && known.updatedAt().isAfter(upsert.summary().updatedAt()))) {
      return Effect().noReply();
    }
    return Effect().persist(new Indexed(upsert.summary())).thenNoReply();
  }

  private ReplyEffect<Event, State> onQuery(State state, Query query) {
    List<SagaSummary> out = new ArrayList<>();
    for (SagaSummary s : state.entries().values()) {
      if (out.size() >= query.limit()) {
        break;
      }
      if (isPlaceholder(s) && !query.withPlaceholders()) {
        continue;
      }
      if (query.definition().isPresent() && !query.definition().get().equals(s.definition())) {
        continue;
      }
      if (!query.states().isEmpty() && !query.states().contains(s.state())) {
        continue;
      }
      out.add(s);
    }
    return Effect().reply(query.replyTo(), new Listing(out));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onEvent(Indexed.class, State::apply).build();
  }
}
