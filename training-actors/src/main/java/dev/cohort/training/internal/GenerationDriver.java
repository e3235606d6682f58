package dev.cohort.training.internal;

import dev.cohort.observability.TraceContext;
import dev.cohort.observability.Tracing;
import dev.cohort.training.JobPhase;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.collective.Backend;
import dev.cohort.training.collective.NcclRendezvous;
import dev.cohort.training.collective.RingRendezvous;
import dev.cohort.training.internal.Job.Member;
import dev.cohort.training.internal.TrainingCoordinator.Abort;
import dev.cohort.training.internal.TrainingCoordinator.Assignment;
import dev.cohort.training.internal.TrainingCoordinator.Command;
import dev.cohort.training.internal.TrainingCoordinator.NcclStart;
import dev.cohort.training.internal.TrainingCoordinator.RecruitTick;
import dev.cohort.training.internal.TrainingCoordinator.RendezvousDeadline;
import dev.cohort.training.internal.TrainingCoordinator.WorkerLost;
import dev.cohort.training.internal.TrainingCoordinator.WorkerMessage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The training coordinator's side effects towards its workers and the worker pools, run only from
 * command handlers after the events that decided them are persisted (never from event handlers,
 * which also run in replay): death watch of members, recruiting and its timer, the rendezvous wait,
 * assignments, nccl start messages and aborts, and the span of each generation (from its
 * assignments to its end).
 *
 * <p>Invariants: every member of a generation receives the same peer list and token, in rank order;
 * the rendezvous timer runs only while gathering with at least {@code workers.min} workers; a
 * generation's id or abort is only sent for the generation the caller's state names. Used from the
 * coordinator's actor thread only.
 */
final class GenerationDriver {
  private static final String RENDEZVOUS_TIMER = "rendezvous";
  private static final String RECRUIT_TIMER = "recruit";

  private final String jobId;
  private final TrainingSettings settings;
  private final TimerScheduler<Command> timers;
  private final ActorContext<Command> context;
  private final ActorRef<Recruiter.Msg> recruiter;
  private final Tracing tracing;

  /** The span of the generation whose assignments went out, until it ends; or null. */
  private Span generation;

  GenerationDriver(
      String jobId,
      TrainingSettings settings,
      TimerScheduler<Command> timers,
      ActorContext<Command> context) {
    this.jobId = jobId;
    this.settings = settings;
    this.timers = timers;
    this.context = context;
    this.recruiter = context.spawn(Recruiter.create(jobId, context.getSelf()), "recruiter");
    this.tracing = Tracing.get(context.getSystem());
  }

  /**
   * Death watch: a worker whose actor stops (or whose node the cluster downs) becomes a {@link
   * WorkerLost}. The message is a pure function of the worker id, so watching again on a re-join is
   * allowed (Pekko refuses a second watch with a different message).
   */
  void watch(Member m) {
    context.watchWith(m.worker(), new WorkerLost(m.workerId(), "worker actor stopped"));
  }

  void watchAll(Job job) {
    job.joined().forEach(this::watch);
    job.waiting().forEach(this::watch);
  }

  /** Asks the worker pools for {@code missing} workers now and every recruit interval. */
  void recruit(int missing) {
    recruiter.tell(new Recruiter.Need(missing));
    armRecruitTimer();
  }

  void recruitNow(int missing) {
    recruiter.tell(new Recruiter.Need(missing));
  }

  void armRecruitTimer() {
    timers.startTimerWithFixedDelay(
        RECRUIT_TIMER, RecruitTick.INSTANCE, settings.recruitInterval());
  }

  void stopRecruiting() {
    timers.cancel(RECRUIT_TIMER);
  }

  /** After a join or a formed generation: send assignments, or arm the wait for more workers. */
  void afterRendezvousChange(JobState state) {
    if (state instanceof JobState.Running running) {
      assign(running.job());
    } else {
      armRendezvousTimer(state.job());
    }
  }

  void armRendezvousTimer(Job job) {
    if (job.phase() == JobPhase.RENDEZVOUS
        && job.spec().isPresent()
        && job.joined().size() >= job.spec().get().minWorkers()
        && !timers.isTimerActive(RENDEZVOUS_TIMER)) {
      timers.startSingleTimer(
          RENDEZVOUS_TIMER, new RendezvousDeadline(job.generation()), settings.rendezvousWait());
    }
  }

  /** Every member gets its rank of the generation's ring; its backend is the same for all. */
  private void assign(Job job) {
    timers.cancel(RENDEZVOUS_TIMER);
    List<String> peers = job.joined().stream().map(Member::ringAddress).toList();
    Backend backend = job.backend();
    context
        .getLog()
        .info(
            "job {} generation {}: {} ranks on {}",
            jobId,
            job.generation(),
            peers.size(),
            backend.id());
    endGeneration("superseded by generation " + job.generation(), false);
    // One trace per generation, sampled like any other (sampler-ratio). Its context goes to every
    // member, whose rendezvous, checkpoints and sampled allreduce calls are its children.
    generation =
        tracing
            .tracer()
            .spanBuilder("training " + jobId + " generation " + job.generation())
            .setNoParent()
            .setAttribute("training.job", jobId)
            .setAttribute("training.generation", job.generation())
            .setAttribute("training.ranks", peers.size())
            .setAttribute("training.backend", backend.id())
            .startSpan();
    TraceContext trace = tracing.capture(Context.root().with(generation));
    for (int rank = 0; rank < job.joined().size(); rank++) {
      Member m = job.joined().get(rank);
      m.worker()
          .tell(
              new Assignment(
                  jobId,
                  job.generation(),
                  job.spec().orElseThrow(),
                  backend,
                  new RingRendezvous(job.token(), rank, peers),
                  job.resume(),
                  context.getSelf(),
                  trace));
    }
  }

  /** Rank 0's unique id: every member gets its own rank of the same id, on its own GPU. */
  void ncclStart(Job job, byte[] uniqueId) {
    int size = job.joined().size();
    for (int rank = 0; rank < size; rank++) {
      Member m = job.joined().get(rank);
      m.worker()
          .tell(
              new NcclStart(
                  jobId, job.generation(), new NcclRendezvous(rank, size, uniqueId, m.device())));
    }
  }

  /**
   * Tells every member and waiting worker of {@code job} that its generation (or the job) ended.
   */
  void abortAll(Job job, String reason, boolean jobEnded) {
    endGeneration(reason, true);
    WorkerMessage abort = new Abort(jobId, job.generation(), reason, jobEnded, context.getSelf());
    job.joined().forEach(m -> m.worker().tell(abort));
    job.waiting().forEach(m -> m.worker().tell(abort));
  }

  /** The job completed in its running generation: end its span as successful, stop the workers. */
  void complete(Job job) {
    endGeneration("job completed", false);
    abortAll(job, "job completed", true);
  }

  /** Ends the running generation's span, with {@code reason}; an error unless it completed. */
  private void endGeneration(String reason, boolean failed) {
    if (generation == null) {
      return;
    }
    generation.setAttribute("training.end_reason", reason);
    if (failed) {
      generation.setStatus(StatusCode.ERROR, reason);
    }
    generation.end();
    generation = null;
  }

  /** The job ended: no generation will form, so no rendezvous wait. */
  void endJob(Job job, String reason) {
    timers.cancel(RENDEZVOUS_TIMER);
    abortAll(job, reason, true);
  }
}
