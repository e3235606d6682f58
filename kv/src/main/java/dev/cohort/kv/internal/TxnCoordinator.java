package dev.cohort.kv.internal;

import dev.cohort.kv.Header;
import dev.cohort.kv.KvError;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.TxnOpResult;
import dev.cohort.kv.TxnRequest;
import dev.cohort.kv.TxnResult;
import dev.cohort.observability.TraceContext;
import dev.cohort.observability.Traced;
import dev.cohort.observability.Tracing;
import dev.cohort.persistence.AskStages;
import dev.cohort.persistence.CohortSerializable;
import dev.cohort.persistence.Rejection;
import dev.cohort.sharding.EntityTypes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.Recovery;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The two-phase-commit coordinator of one cross-partition transaction; entity id: the transaction
 * id (a UUID chosen by the API edge).
 *
 * <p>Protocol: {@link TxnStarted} (the participants and their share of the ops) is journaled before
 * any {@link KvPartition.Prepare} is sent. Every partition votes: it locks its keys and journals
 * the prepared state, or refuses. When all voted yes the branch is chosen (success when every
 * partition's compares held) and {@link TxnDecided} is journaled before any {@link
 * KvPartition.Commit} is sent; a refusal or a missing vote decides abort. The decision is then
 * re-sent every {@code cohort.kv.txn.retry-interval} until each partition confirmed it, and only
 * then does the caller get its answer (so its locks are gone when it does).
 *
 * <p>Invariants: the decision is journaled once and never changes; a coordinator without a
 * journaled decision that is asked by a partition ({@link Resolve}) or recovers after a crash
 * decides abort (presumed abort), which is safe because no partition commits without a decision.
 * Partitions never abort a prepared transaction on their own.
 *
 * <p>Failpoints ({@code cohort.kv.txn.failpoint}) halt the JVM right before and right after the
 * decision is journaled, for process-kill tests.
 */
public final class TxnCoordinator
    extends EventSourcedBehaviorWithEnforcedReplies<
        TxnCoordinator.Command, TxnCoordinator.Event, TxnCoordinator.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "kv-txn-coordinator");

  // ---------------------------------------------------------------------------------- Command

  public sealed interface Command extends CohortSerializable {}

  /**
   * Runs the transaction whose ops are split over {@code participants}; the whole request had
   * {@code successOps} and {@code failureOps} ops. Answered once every partition applied the
   * decision.
   */
  public record Start(
      List<Participant> participants,
      int successOps,
      int failureOps,
      TraceContext trace,
      ActorRef<Reply> replyTo)
      implements Command, Traced {}

  /** A partition holding this transaction prepared asks for the decision. */
  public record Resolve(String partitionEntityId) implements Command {}

  /** A partition's answer to a prepare (a failed ask arrives as a rejection). */
  record Voted(String partitionEntityId, KvPartition.Reply reply) implements Command {}

  /** A partition's answer to a commit or abort (a failed ask arrives as a rejection). */
  record Acknowledged(String partitionEntityId, KvPartition.Reply reply) implements Command {}

  /** Re-sends the decision to partitions that did not confirm it yet. */
  enum Retry implements Command {
    INSTANCE
  }

  // ---------------------------------------------------------------------------------- Reply

  public sealed interface Reply extends CohortSerializable {}

  /** Committed: the merged result, ops in request order. */
  public record Finished(TxnResult result) implements Reply {}

  /** Aborted: nothing was written; the reason is the partition's refusal or the lost vote. */
  public record Failed(Rejection rejection) implements Reply {}

  /**
   * One partition's share of the transaction: {@code txn} holds its compares and ops; {@code
   * successSlots} and {@code failureSlots} give the position of each of its ops in the request.
   */
  public record Participant(
      String entityId,
      int partition,
      TxnRequest txn,
      List<Integer> successSlots,
      List<Integer> failureSlots)
      implements CohortSerializable {}

  // ---------------------------------------------------------------------------------- Event

  public sealed interface Event extends CohortSerializable {}

  public record TxnStarted(
      List<Participant> participants, int successOps, int failureOps, long atMillis)
      implements Event {}

  /** The decision: commit (of the success branch when {@code succeeded}) or abort with a reason. */
  public record TxnDecided(boolean commit, boolean succeeded, Rejection reason, long atMillis)
      implements Event {}

  /** Every partition confirmed the decision. */
  public record TxnEnded(long atMillis) implements Event {}

  // ---------------------------------------------------------------------------------- State

  public enum Phase implements CohortSerializable {
    NEW,
    PREPARING,
    DECIDED,
    ENDED
  }

  public record State(
      Phase phase,
      List<Participant> participants,
      int successOps,
      int failureOps,
      boolean commit,
      boolean succeeded,
      Rejection reason)
      implements CohortSerializable {

    static State empty() {
      return new State(Phase.NEW, List.of(), 0, 0, false, false, null);
    }

    State started(TxnStarted e) {
      return new State(
          Phase.PREPARING,
          List.copyOf(e.participants()),
          e.successOps(),
          e.failureOps(),
          false,
          false,
          null);
    }

    State decided(TxnDecided e) {
      return new State(
          Phase.DECIDED,
          participants,
          successOps,
          failureOps,
          e.commit(),
          e.succeeded(),
          e.reason());
    }

    State ended() {
      return new State(
          Phase.ENDED, participants, successOps, failureOps, commit, succeeded, reason);
    }
  }

  // ---------------------------------------------------------------------------------- wiring

  public static void init(ActorSystem<?> system, KvSettings settings) {
    KvMetrics metrics = KvMetrics.get(system);
    EntityTypes.init(
        system,
        Entity.of(
            ENTITY_TYPE_KEY,
            ctx ->
                Behaviors.setup(
                    context ->
                        Behaviors.withTimers(
                            timers ->
                                new TxnCoordinator(
                                    context,
                                    timers,
                                    ctx.getEntityId(),
                                    settings,
                                    metrics,
                                    ctx.getShard())))));
  }

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final String txnId;
  private final KvSettings settings;
  private final KvMetrics metrics;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final ClusterSharding sharding;

  /** The caller, when this incarnation was started by it; a recovered one answers nobody. */
  private ActorRef<Reply> caller;

  /** Votes received by this incarnation; not persisted: a recovered coordinator decides abort. */
  private final Map<String, KvPartition.Vote> votes = new HashMap<>();

  /** Partitions that confirmed the decision, with their result (commit). */
  private final Map<String, TxnResult> confirmed = new HashMap<>();

  /** Partitions a decision is in flight to. */
  private final Set<String> sending = new HashSet<>();

  private final Tracing tracing;

  /** This incarnation's phase and participant spans (none after a recovery). */
  private TwoPhaseSpans spans = TwoPhaseSpans.NONE;

  private TxnCoordinator(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      String txnId,
      KvSettings settings,
      KvMetrics metrics,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(
        PersistenceId.of(ENTITY_TYPE_KEY.name(), txnId),
        EntitySupervision.restartWithBackoff(settings));
    this.context = context;
    this.timers = timers;
    this.txnId = txnId;
    this.settings = settings;
    this.metrics = metrics;
    this.shard = shard;
    this.sharding = ClusterSharding.get(context.getSystem());
    this.tracing = Tracing.get(context.getSystem());
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public Recovery recovery() {
    // A coordinator never saves snapshots: skipping the snapshot lookup saves a store query on
    // the start of every transaction (each one is a fresh entity).
    return Recovery.withSnapshotSelectionCriteria(SnapshotSelectionCriteria.none());
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecovered)
        .build();
  }

  private void onRecovered(State state) {
    if (state.phase() == Phase.PREPARING || state.phase() == Phase.DECIDED) {
      // PREPARING: the votes died with the previous incarnation; the tick decides abort.
      // DECIDED: the decision may not have reached every partition; the tick re-sends it.
      timers.startTimerWithFixedDelay(Retry.INSTANCE, Duration.ZERO, settings.txnRetryInterval());
    }
  }

  // ---------------------------------------------------------------------------------- commands

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Start.class, this::onStart)
        .onCommand(Voted.class, this::onVoted)
        .onCommand(Acknowledged.class, this::onAcknowledged)
        .onCommand(Resolve.class, this::onResolve)
        .onCommand(Retry.class, (state, tick) -> onRetry(state))
        .build();
  }

  private ReplyEffect<Event, State> onStart(State state, Start start) {
    if (state.phase() != Phase.NEW || caller != null) {
      return Effect()
          .reply(
              start.replyTo(),
              new Failed(
                  KvError.TXN_EXISTS.rejection("transaction " + txnId + " was already started")));
    }
    caller = start.replyTo();
    spans = TwoPhaseSpans.start(tracing, start.trace(), txnId);
    // The intent is journaled first: a partition that prepared can always find what it is in.
    return Effect()
        .persist(
            new TxnStarted(
                start.participants(),
                start.successOps(),
                start.failureOps(),
                System.currentTimeMillis()))
        .thenRun(this::sendPrepares)
        .thenNoReply();
  }

  private void sendPrepares(State state) {
    spans.preparing(state.participants());
    for (Participant p : state.participants()) {
      AskStages.ask(
          context,
          KvPartition.Reply.class,
          sharding.entityRefFor(KvPartition.ENTITY_TYPE_KEY, p.entityId()),
          settings.askTimeout(),
          replyTo -> new KvPartition.Prepare(txnId, p.txn(), replyTo),
          (reply, failure) -> new Voted(p.entityId(), failure == null ? reply : lost(p, failure)));
    }
  }

  private static KvPartition.Rejected lost(Participant p, Throwable failure) {
    return new KvPartition.Rejected(
        KvError.PARTICIPANT_UNAVAILABLE.rejection(
            "partition " + p.partition() + " did not answer: " + failure.getMessage()));
  }

  private ReplyEffect<Event, State> onVoted(State state, Voted voted) {
    if (state.phase() != Phase.PREPARING) {
      return Effect().noReply(); // decided already (an earlier refusal, or a partition's ask)
    }
    spans.voted(voted.partitionEntityId(), voted.reply() instanceof KvPartition.Vote);
    switch (voted.reply()) {
      case KvPartition.Vote v -> votes.put(voted.partitionEntityId(), v);
      case KvPartition.Rejected r -> {
        return decide(new TxnDecided(false, false, r.rejection(), System.currentTimeMillis()));
      }
      default -> {
        return decide(
            new TxnDecided(
                false,
                false,
                KvError.UNEXPECTED_REPLY.rejection("unexpected vote " + voted.reply()),
                System.currentTimeMillis()));
      }
    }
    if (votes.size() < state.participants().size()) {
      return Effect().noReply();
    }
    boolean succeeded = votes.values().stream().allMatch(KvPartition.Vote::comparesHold);
    for (Participant p : state.participants()) {
      KvPartition.Vote v = votes.get(p.entityId());
      Rejection problem = succeeded ? v.successProblem() : v.failureProblem();
      if (problem != null) {
        // As a single-partition transaction taking this branch would be refused with it.
        return decide(new TxnDecided(false, succeeded, problem, System.currentTimeMillis()));
      }
    }
    failpoint("crash-before-decision");
    return decide(new TxnDecided(true, succeeded, null, System.currentTimeMillis()));
  }

  /** Journals the decision, and only then sends it: no partition commits an unjournaled one. */
  private ReplyEffect<Event, State> decide(TxnDecided decision) {
    return decide(decision, null);
  }

  /** As {@link #decide(TxnDecided)}, also telling {@code asker} (a partition, null: none). */
  private ReplyEffect<Event, State> decide(TxnDecided decision, String asker) {
    metrics.txn2pc(decision.commit() ? "committed" : "aborted");
    spans.decided(decision.commit());
    if (!decision.commit()) {
      context.getLog().debug("transaction {} aborts: {}", txnId, decision.reason());
    }
    return Effect()
        .persist(decision)
        .thenRun(
            s -> {
              failpoint("crash-after-decision");
              timers.startTimerWithFixedDelay(Retry.INSTANCE, settings.txnRetryInterval());
              sendDecision(s);
              if (asker != null && !sending.contains(asker)) {
                tellDecision(s, asker);
              }
            })
        .thenNoReply();
  }

  private void sendDecision(State state) {
    for (Participant p : state.participants()) {
      if (!confirmed.containsKey(p.entityId()) && !sending.contains(p.entityId())) {
        tellDecision(state, p.entityId());
      }
    }
  }

  private void tellDecision(State state, String partitionEntityId) {
    sending.add(partitionEntityId);
    spans.sending(partitionEntityId);
    AskStages.ask(
        context,
        KvPartition.Reply.class,
        sharding.entityRefFor(KvPartition.ENTITY_TYPE_KEY, partitionEntityId),
        settings.askTimeout(),
        replyTo ->
            state.commit()
                ? new KvPartition.Commit(txnId, state.succeeded(), replyTo)
                : new KvPartition.Abort(txnId, replyTo),
        (reply, failure) ->
            new Acknowledged(
                partitionEntityId,
                failure == null
                    ? reply
                    : new KvPartition.Rejected(
                        KvError.PARTICIPANT_UNAVAILABLE.rejection(
                            String.valueOf(failure.getMessage())))));
  }

  private ReplyEffect<Event, State> onAcknowledged(State state, Acknowledged ack) {
    sending.remove(ack.partitionEntityId());
    spans.acknowledged(ack.partitionEntityId(), ack.reply() instanceof KvPartition.TxnDone);
    if (state.phase() != Phase.DECIDED) {
      return Effect().noReply();
    }
    switch (ack.reply()) {
      case KvPartition.TxnDone done -> confirmed.put(ack.partitionEntityId(), done.result());
      case KvPartition.Rejected r when r.rejection().is(KvError.KEYSPACE_NOT_FOUND) ->
          // The keyspace was deleted: nothing is left to commit or unlock there.
          confirmed.put(ack.partitionEntityId(), null);
      case KvPartition.Rejected r when r.rejection().is(KvError.TXN_NOT_PREPARED) -> {
        // Only after its outcome aged out of the partition's memory (remember-outcomes).
        context
            .getLog()
            .warn(
                "partition {} no longer knows transaction {}: {}",
                ack.partitionEntityId(),
                txnId,
                r.rejection().message());
        confirmed.put(ack.partitionEntityId(), null);
      }
      default -> {
        return Effect().noReply(); // retried on the next tick
      }
    }
    boolean all = state.participants().stream().allMatch(p -> confirmed.containsKey(p.entityId()));
    if (!all) {
      return Effect().noReply();
    }
    // The caller may hear now: the outcome is journaled in every partition. TxnEnded only spares a
    // recovered coordinator from re-sending the decision.
    if (caller != null) {
      caller.tell(state.commit() ? answer(state) : new Failed(state.reason()));
      caller = null;
    }
    return Effect()
        .persist(new TxnEnded(System.currentTimeMillis()))
        .thenRun(this::ended)
        .thenNoReply();
  }

  private void ended(State state) {
    spans.ended();
    timers.cancel(Retry.INSTANCE);
    if (shard != null) {
      shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
    }
  }

  /** The partitions' results merged into the request's op order. */
  private Reply answer(State state) {
    int size = state.succeeded() ? state.successOps() : state.failureOps();
    TxnOpResult[] responses = new TxnOpResult[size];
    List<Header> headers = new ArrayList<>();
    for (Participant p : state.participants()) {
      TxnResult r = confirmed.get(p.entityId());
      if (r == null) {
        // The first commit's answer was lost (ask timeout) and a repeated one learns the outcome
        // only: the caller gets the same "outcome unknown" it would get from its own timeout.
        return new Failed(
            KvError.TIMEOUT.rejection(
                "transaction "
                    + txnId
                    + " committed, but the op results of partition "
                    + p.partition()
                    + " were lost with a retried commit; read the keys"));
      }
      List<Integer> slots = state.succeeded() ? p.successSlots() : p.failureSlots();
      for (int i = 0; i < slots.size(); i++) {
        responses[slots.get(i)] = r.responses().get(i);
      }
      headers.add(r.header());
    }
    headers.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
    // An ArrayList, not Arrays.asList's view: the answer crosses nodes when the caller is on
    // another
    // one, and Kryo knows ArrayList (found by ZipkinTraceTest's two-node transaction).
    return new Finished(
        new TxnResult(
            headers.getFirst(),
            state.succeeded(),
            new ArrayList<>(Arrays.asList(responses)),
            headers));
  }

  private ReplyEffect<Event, State> onResolve(State state, Resolve resolve) {
    return switch (state.phase()) {
      case NEW, PREPARING ->
          presumeAbort(
              "a partition asked for the decision of transaction "
                  + txnId
                  + " before the coordinator decided",
              resolve.partitionEntityId());
      case DECIDED -> {
        sendDecision(state);
        if (!sending.contains(resolve.partitionEntityId())
            && state.participants().stream()
                .noneMatch(p -> p.entityId().equals(resolve.partitionEntityId()))) {
          tellDecision(state, resolve.partitionEntityId());
        }
        yield Effect().noReply();
      }
      case ENDED -> {
        // A prepare that reached the partition after the decision did; repeat it there.
        tellDecision(state, resolve.partitionEntityId());
        yield Effect().noReply();
      }
    };
  }

  private ReplyEffect<Event, State> onRetry(State state) {
    return switch (state.phase()) {
      case PREPARING ->
          caller == null
              ? presumeAbort(
                  "the coordinator of transaction " + txnId + " restarted before it decided", null)
              : Effect().noReply();
      case DECIDED -> {
        sendDecision(state);
        yield Effect().noReply();
      }
      case NEW, ENDED -> {
        timers.cancel(Retry.INSTANCE);
        yield Effect().noReply();
      }
    };
  }

  private ReplyEffect<Event, State> presumeAbort(String why, String asker) {
    context.getLog().info("{}: deciding abort", why);
    return decide(
        new TxnDecided(
            false, false, KvError.TXN_ABORTED.rejection(why), System.currentTimeMillis()),
        asker);
  }

  /**
   * Halts the JVM when the test failpoint {@code name} is set (cohort.kv.txn.failpoint), in a
   * coordinator a caller started; a recovered one never halts, so a node restarted with the
   * failpoint still set completes what the halt left behind instead of halting again.
   */
  private void failpoint(String name) {
    if (caller != null && name.equals(settings.txnFailpoint())) {
      System.err.println("cohort.kv.txn.failpoint " + name + " reached in " + txnId + ": halting");
      System.err.flush();
      Runtime.getRuntime().halt(137);
    }
  }

  // ---------------------------------------------------------------------------------- events

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(TxnStarted.class, State::started)
        .onEvent(TxnDecided.class, State::decided)
        .onEvent(TxnEnded.class, (state, e) -> state.ended())
        .build();
  }
}
