package dev.cohort.training.internal;

import dev.cohort.persistence.AskStages;
import dev.cohort.persistence.CohortSerializable;
import dev.cohort.sharding.EntityTypes;
import dev.cohort.training.JobPhase;
import dev.cohort.training.TrainingSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The cluster's list of training jobs: one sharded, event-sourced entity (id {@code jobs}) that
 * knows every submitted job's id and name and whether it ended. {@code GET /v1/training/jobs} lists
 * from it, and every node's {@link JobWaker} wakes the coordinators of the jobs that have not
 * ended, so that a job resumes after its coordinator's node died or the cluster restarted.
 *
 * <p>A job is registered before its submit reaches the coordinator (a job is never running without
 * an entry); an entry whose submit then failed belongs to no job, and listing skips it. {@code
 * MarkEnded} is sent without acknowledgement; a lost one is repeated when the ended coordinator is
 * woken again. Snapshots bound recovery.
 */
public final class TrainingJobIndex
    extends EventSourcedBehaviorWithEnforcedReplies<
        TrainingJobIndex.Command, TrainingJobIndex.Event, TrainingJobIndex.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "TrainingJobIndex");
  static final String ENTITY_ID = "jobs";

  // Command ------------------------------------------------------------------------------------

  public sealed interface Command extends CohortSerializable {}

  /** Adds job {@code jobId} unless it is known; answered once durable. */
  public record Register(String jobId, String name, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** Job {@code jobId} ended in {@code phase}; no reply. */
  public record MarkEnded(String jobId, JobPhase phase) implements Command {}

  /** Every entry, or only those of jobs that have not ended. */
  public record Query(boolean activeOnly, ActorRef<Listing> replyTo) implements Command {}

  // Reply --------------------------------------------------------------------------------------

  public record Listing(List<Entry> entries) implements CohortSerializable {}

  // Event --------------------------------------------------------------------------------------

  public sealed interface Event extends CohortSerializable {}

  public record JobRegistered(String jobId, String name) implements Event {}

  public record JobEnded(String jobId, JobPhase phase) implements Event {}

  // State --------------------------------------------------------------------------------------

  /**
   * @param ended the phase the job ended in, empty while it has not
   */
  public record Entry(String jobId, String name, Optional<JobPhase> ended)
      implements CohortSerializable {}

  /** Entries in registration order. */
  public record State(List<Entry> entries) implements CohortSerializable {
    Optional<Entry> find(String jobId) {
      return entries.stream().filter(e -> e.jobId().equals(jobId)).findFirst();
    }

    State registered(JobRegistered e) {
      List<Entry> next = new ArrayList<>(entries);
      next.add(new Entry(e.jobId(), e.name(), Optional.empty()));
      return new State(List.copyOf(next));
    }

    State ended(JobEnded e) {
      return new State(
          entries.stream()
              .map(
                  x ->
                      x.jobId().equals(e.jobId())
                          ? new Entry(x.jobId(), x.name(), Optional.of(e.phase()))
                          : x)
              .toList());
    }
  }

  // Wiring -------------------------------------------------------------------------------------

  private final int snapshotEvery;

  public static void init(ActorSystem<?> system, TrainingSettings settings) {
    EntityTypes.init(system, Entity.of(ENTITY_TYPE_KEY, context -> new TrainingJobIndex(settings)));
  }

  private TrainingJobIndex(TrainingSettings settings) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), ENTITY_ID));
    this.snapshotEvery = settings.jobIndexSnapshotEvery();
  }

  @Override
  public State emptyState() {
    return new State(List.of());
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
        .onCommand(MarkEnded.class, this::onEnded)
        .onCommand(Query.class, this::onQuery)
        .build();
  }

  private ReplyEffect<Event, State> onRegister(State state, Register cmd) {
    if (state.find(cmd.jobId()).isPresent()) {
      return Effect().reply(cmd.replyTo(), StatusReply.success(Done.getInstance()));
    }
    // Persist before replying: the submit that follows relies on the entry being durable.
    return Effect()
        .persist(new JobRegistered(cmd.jobId(), cmd.name()))
        .thenReply(cmd.replyTo(), next -> StatusReply.success(Done.getInstance()));
  }

  private ReplyEffect<Event, State> onEnded(State state, MarkEnded cmd) {
    Optional<Entry> entry = state.find(cmd.jobId());
    if (entry.isEmpty() || entry.get().ended().isPresent()) {
      return Effect().noReply();
    }
    return Effect().persist(new JobEnded(cmd.jobId(), cmd.phase())).thenNoReply();
  }

  private ReplyEffect<Event, State> onQuery(State state, Query cmd) {
    List<Entry> entries =
        cmd.activeOnly()
            ? state.entries().stream().filter(e -> e.ended().isEmpty()).toList()
            : state.entries();
    return Effect().reply(cmd.replyTo(), new Listing(entries));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(JobRegistered.class, State::registered)
        .onEvent(JobEnded.class, State::ended)
        .build();
  }

  // Client -------------------------------------------------------------------------------------

  /** How coordinators and the embedded API reach the index; {@link #NONE} where there is none. */
  public interface Client {
    Client NONE =
        new Client() {
          @Override
          public CompletionStage<Done> register(String jobId, String name) {
            return CompletableFuture.completedFuture(Done.getInstance());
          }

          @Override
          public void ended(String jobId, JobPhase phase) {}

          @Override
          public CompletionStage<List<Entry>> list(boolean activeOnly) {
            return CompletableFuture.completedFuture(List.of());
          }
        };

    CompletionStage<Done> register(String jobId, String name);

    void ended(String jobId, JobPhase phase);

    CompletionStage<List<Entry>> list(boolean activeOnly);
  }

  /**
   * The sharded index of {@code system} (its entity type must be initialised, see {@link #init}).
   */
  public static Client client(ActorSystem<?> system, Duration askTimeout) {
    EntityRef<Command> ref = ClusterSharding.get(system).entityRefFor(ENTITY_TYPE_KEY, ENTITY_ID);
    return new Client() {
      @Override
      public CompletionStage<Done> register(String jobId, String name) {
        return AskStages.on(
            ref.askWithStatus(replyTo -> new Register(jobId, name, replyTo), askTimeout),
            system.executionContext());
      }

      @Override
      public void ended(String jobId, JobPhase phase) {
        ref.tell(new MarkEnded(jobId, phase));
      }

      @Override
      public CompletionStage<List<Entry>> list(boolean activeOnly) {
        return AskStages.on(
                ref.<Listing>ask(replyTo -> new Query(activeOnly, replyTo), askTimeout),
                system.executionContext())
            .thenApply(Listing::entries);
      }
    };
  }
}
