package dev.cohort.training.internal;

import dev.cohort.observability.Tracing;
import dev.cohort.persistence.AskStages;
import dev.cohort.persistence.ErrorKind;
import dev.cohort.training.CheckpointInfo;
import dev.cohort.training.DataParallelTrainer;
import dev.cohort.training.DataParallelTrainer.Position;
import dev.cohort.training.DatasetSource;
import dev.cohort.training.Mlp;
import dev.cohort.training.RecoveryInfo;
import dev.cohort.training.TrainingData;
import dev.cohort.training.TrainingError;
import dev.cohort.training.TrainingException;
import dev.cohort.training.TrainingJobSpec;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.collective.Backend;
import dev.cohort.training.collective.CollectiveException;
import dev.cohort.training.collective.Communicator;
import dev.cohort.training.collective.Communicators;
import dev.cohort.training.collective.NcclRendezvous;
import dev.cohort.training.collective.RingEndpoint;
import dev.cohort.training.compute.Compute;
import dev.cohort.training.compute.ComputeChoice;
import dev.cohort.training.compute.ComputeKind;
import dev.cohort.training.compute.Computes;
import dev.cohort.training.internal.TrainingCoordinator.Abort;
import dev.cohort.training.internal.TrainingCoordinator.Assignment;
import dev.cohort.training.internal.TrainingCoordinator.NcclStart;
import dev.cohort.training.internal.TrainingCoordinator.WorkerMessage;
import io.opentelemetry.api.trace.Span;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * One training worker (one CPU slot or one GPU, its {@link WorkerDevice}): joins its job's
 * coordinator, runs each generation it is assigned on a dedicated thread, and joins again after a
 * generation was aborted.
 *
 * <p>Per generation: bind a ring endpoint, {@code Join} with its address, its device and the step
 * of the replica it holds; on {@code Assignment} form the communicator of the generation's backend
 * (below), read and decode the dataset; rank 0 prepares the state the coordinator chose ({@code
 * Resume}: load the job's last checkpoint, keep its own replica, or start from the seed); every
 * rank copies rank 0's replica ({@link DataParallelTrainer#synchronizeReplicas}) and trains to the
 * last epoch. Rank 0 reports progress after every step, writes a checkpoint every {@code
 * checkpointEverySteps} steps (reported to the coordinator once every chunk is durable) and sends
 * {@code Finish} at the end. The model and optimizer survive generations inside this actor (the
 * replica), so survivors of a lost worker can continue where they were.
 *
 * <p>Threads: training never runs on the actor's thread (it blocks on sockets); the training thread
 * only tells messages (to the coordinator, and its result to this actor through {@code pipeToSelf})
 * and reads the current communicator through a volatile field that {@code Abort} uses to stop it.
 *
 * <p>Backends: ring connects to the peers of the assignment's {@code RingRendezvous}. nccl (the
 * coordinator assigns it only to workers with a GPU): rank 0 calls {@code ncclGetUniqueId} and
 * sends the id to the coordinator ({@code NcclIdCreated}), which hands every rank its {@code
 * NcclRendezvous} ({@code NcclStart}); each rank waits for it at most {@code collective.timeout}
 * and then creates its {@link NcclCommunicator} (non-blocking init on that communicator's own
 * device thread, aborted at the deadline). Compute: the job's request resolved against what this
 * worker can run ({@link Computes#resolve}); on cublas the model lives on the GPU and nccl reduces
 * its gradients in device memory, on java or openblas it stays on the CPU and the nccl communicator
 * stages the host gradient buckets through device memory. A worker whose node cannot run nccl fails
 * the job ({@code backend_unavailable}) rather than retrying. Hazard: nothing of the nccl path has
 * run on a GPU in this project yet (see the README).
 */
public final class TrainingWorker extends AbstractBehavior<TrainingWorker.Command> {
  // The training thread logs here: an actor's own logger may only be used on its thread.
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(TrainingWorker.class);

  /**
   * Rank 0 reports progress at most this often, besides a generation's first and last step. The
   * coordinator persists every report: a job whose steps take microseconds (a small model on one
   * rank) sent thousands a second, overflowed the coordinator's stash while it persisted them, and
   * the dropped messages included the generation's Finish, so the job never ended.
   */
  private static final long PROGRESS_REPORT_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  /**
   * The worker's own messages. Nothing outside sends them (the coordinator talks to the worker's
   * {@link WorkerMessage} adapter), so they never cross the wire and need no serializer.
   */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  private record FromCoordinator(WorkerMessage message) implements Command {}

  /** The answer to join attempt {@code attempt} (an older attempt's answer is ignored). */
  private record Joined(long attempt, TrainingCoordinator.Reply reply, Throwable failure)
      implements Command {}

  /** The training thread ended: completed, aborted, or failed with {@code error}. */
  private record GenerationEnded(long generation, boolean completed, Throwable error)
      implements Command {}

  private final String workerId;
  // The coordinator's current incarnation: Assignment and Abort carry it (it changes when the
  // coordinator's entity restarts, on this node or another).
  private ActorRef<TrainingCoordinator.Command> coordinator;
  private final CheckpointStore checkpoints;
  private long joinAttempt;
  private final DatasetSource datasets;
  private final TrainingSettings settings;
  private final ActorRef<WorkerMessage> self;
  private final TrainingMetrics metrics;
  private final WorkerDevice device;
  private final Tracing tracing;
  private RingEndpoint endpoint;
  // An nccl generation's rendezvous: created by the actor on Assignment (so that an early
  // NcclStart is not lost), completed by NcclStart or failed by Abort, awaited by the training
  // thread.
  private long ncclGeneration = -1;
  private CompletableFuture<NcclRendezvous> ncclStart = new CompletableFuture<>();
  // Written by the training thread, read by the actor after the thread's result arrived.
  private volatile Replica replica;
  private volatile Communicator current;
  private volatile long abortedGeneration = -1;
  private boolean running;
  private boolean jobEnded;
  private long rejoinedAfter = -1;

  /** A CPU worker (ring only). */
  public static Behavior<Command> create(
      String workerId,
      ActorRef<TrainingCoordinator.Command> coordinator,
      DatasetSource datasets,
      TrainingSettings settings) {
    return create(
        workerId,
        coordinator,
        datasets,
        settings,
        WorkerDevice.cpu("a CPU worker (no GPU assigned)").probed(settings));
  }

  /** A worker on {@code device} (its node's {@link WorkerPool} chose it). */
  public static Behavior<Command> create(
      String workerId,
      ActorRef<TrainingCoordinator.Command> coordinator,
      DatasetSource datasets,
      TrainingSettings settings,
      WorkerDevice device) {
    return Behaviors.setup(
        context -> new TrainingWorker(context, workerId, coordinator, datasets, settings, device));
  }

  private TrainingWorker(
      ActorContext<Command> context,
      String workerId,
      ActorRef<TrainingCoordinator.Command> coordinator,
      DatasetSource datasets,
      TrainingSettings settings,
      WorkerDevice device) {
    super(context);
    this.workerId = workerId;
    this.device = device;
    this.coordinator = coordinator;
    this.datasets = datasets;
    this.settings = settings;
    this.self = context.messageAdapter(WorkerMessage.class, FromCoordinator::new);
    this.checkpoints = new CheckpointStore(context.getSystem());
    this.metrics = TrainingMetrics.get(context.getSystem());
    this.tracing = Tracing.get(context.getSystem());
    join();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(FromCoordinator.class, this::onCoordinator)
        .onMessage(Joined.class, this::onJoined)
        .onMessage(GenerationEnded.class, this::onEnded)
        .onSignal(PostStop.class, signal -> onStop())
        .build();
  }

  private void join() {
    if (endpoint != null) {
      endpoint.close(); // a listener from an earlier attempt that no ring will use
    }
    endpoint = RingEndpoint.bind(settings);
    long step = replica == null ? -1 : replica.step();
    long attempt = ++joinAttempt;
    AskStages.ask(
        getContext(),
        TrainingCoordinator.Reply.class,
        coordinator,
        Duration.ofSeconds(30),
        (ActorRef<TrainingCoordinator.Reply> replyTo) ->
            new TrainingCoordinator.Join(
                workerId,
                endpoint.address(),
                step,
                device.gpu(),
                device.note(),
                self,
                replyTo,
                device.computes().kinds(),
                device.computes().note()),
        (reply, failure) -> new Joined(attempt, reply, failure));
  }

  private Behavior<Command> onJoined(Joined msg) {
    if (msg.attempt() != joinAttempt) {
      return this; // superseded: a newer coordinator incarnation told us to join again
    }
    if (msg.failure() != null) {
      getContext().getLog().info("worker {} not taken: {}", workerId, msg.failure().getMessage());
      return Behaviors.stopped();
    }
    if (msg.reply() instanceof TrainingCoordinator.Rejected rejected) {
      getContext()
          .getLog()
          .info("worker {} not taken: {}", workerId, rejected.rejection().message());
      return Behaviors.stopped();
    }
    return this;
  }

  private Behavior<Command> onCoordinator(FromCoordinator msg) {
    return switch (msg.message()) {
      case Assignment a -> onAssignment(a);
      case Abort a -> onAbort(a);
      case NcclStart n -> onNcclStart(n);
    };
  }

  private Behavior<Command> onNcclStart(NcclStart n) {
    if (n.generation() == ncclGeneration) {
      ncclStart.complete(n.rendezvous());
    }
    return this;
  }

  private Behavior<Command> onAssignment(Assignment a) {
    if (running) {
      getContext()
          .getLog()
          .warn("worker {} got generation {} while still running one", workerId, a.generation());
      return this;
    }
    running = true;
    coordinator = a.coordinator();
    RingEndpoint ep = endpoint;
    CompletableFuture<NcclRendezvous> nccl = new CompletableFuture<>();
    ncclGeneration = a.generation();
    ncclStart = nccl;
    CompletableFuture<Boolean> result = new CompletableFuture<>();
    Thread.ofPlatform()
        .daemon()
        .name("cohort-train-" + workerId + "-g" + a.generation())
        .start(
            () -> {
              try {
                result.complete(runGeneration(a, ep, nccl));
              } catch (Throwable t) {
                result.completeExceptionally(t);
              }
            });
    getContext()
        .pipeToSelf(
            result,
            (completed, error) ->
                new GenerationEnded(a.generation(), completed != null && completed, unwrap(error)));
    return this;
  }

  private Behavior<Command> onAbort(Abort a) {
    // A new incarnation of the coordinator (its entity restarted) no longer knows this worker's
    // earlier join: join it again even if we already joined the old one.
    boolean newCoordinator = !a.coordinator().equals(coordinator);
    coordinator = a.coordinator();
    abortedGeneration = a.generation();
    jobEnded |= a.jobEnded();
    Communicator c = current;
    if (c != null) {
      c.abort(a.reason()); // the training thread fails out of its next collective
    }
    if (a.generation() == ncclGeneration) {
      ncclStart.completeExceptionally(
          new CollectiveException(
              ErrorKind.CONFLICT,
              "communicator_closed",
              "generation "
                  + a.generation()
                  + " aborted before its nccl rendezvous: "
                  + a.reason()));
    }
    if (running) {
      return this; // onEnded decides once the training thread is out
    }
    if (jobEnded) {
      return Behaviors.stopped();
    }
    if (a.generation() == rejoinedAfter && !newCoordinator) {
      return this; // we noticed the failure ourselves and already joined again
    }
    rejoinedAfter = a.generation();
    join(); // a worker that waited while this generation ran joins the next
    return this;
  }

  private Behavior<Command> onEnded(GenerationEnded e) {
    running = false;
    current = null;
    if (e.completed()) {
      // Stay until the coordinator confirms the job completed (an Abort with jobEnded): stopping
      // now would look like a lost worker if rank 0's Finish has not reached the coordinator.
      getContext().getLog().info("worker {} finished generation {}", workerId, e.generation());
      return jobEnded ? Behaviors.stopped() : this;
    }
    if (e.error() instanceof TrainingException te
        && (!(te instanceof CollectiveException) || te.code().equals("backend_unavailable"))) {
      // The job cannot run (bad dataset, no usable nccl here): no new generation fixes that.
      coordinator.tell(new TrainingCoordinator.Fail(e.generation(), te.getMessage()));
      return Behaviors.stopped();
    }
    if (abortedGeneration != e.generation()) {
      // Our own communicator failed first (a peer vanished): tell the coordinator, which aborts
      // the generation and tells everyone to join again.
      coordinator.tell(
          new TrainingCoordinator.GenerationFailed(
              e.generation(), workerId, String.valueOf(e.error())));
    }
    if (jobEnded) {
      return Behaviors.stopped();
    }
    rejoinedAfter = e.generation();
    join();
    return this;
  }

  private Behavior<Command> onStop() {
    Communicator c = current;
    if (c != null) {
      c.abort("worker " + workerId + " stopped");
    }
    if (endpoint != null) {
      endpoint.close();
    }
    return this;
  }

  // On the training thread ---------------------------------------------------------------------

  private boolean runGeneration(
      Assignment a, RingEndpoint ep, CompletableFuture<NcclRendezvous> nccl) throws Exception {
    TrainingJobSpec spec = a.spec();
    ComputeKind compute = computeFor(a);
    if (replica == null) {
      replica = freshReplica(spec, compute);
    } else if (replica.model.compute().kind() != compute) {
      replica = replica.movedTo(openCompute(compute), spec);
    }
    GenerationSpans spans = GenerationSpans.of(tracing, a, settings.traceAllreduceEverySteps());
    // Connect first: the peers wait for this connection only connect-timeout, while the first
    // collective below waits the (longer) collective timeout for a rank still reading its data.
    try (Communicator comm = spans.communicator(connect(a, ep, nccl, spans))) {
      current = comm;
      if (abortedGeneration == a.generation()) {
        comm.abort("aborted before it started");
      }
      TrainingData data = data(spec);
      if (comm.rank() == 0) {
        prepareResume(a, spans);
      }
      try (DataParallelTrainer trainer =
          DataParallelTrainer.create(
              comm,
              replica.model,
              replica.optimizer,
              data,
              spec.batchSize(),
              (long) spec.bucketCapMb() << 20,
              spec.seed())) {
        trainer.resumeFrom(replica.position);
        trainer.synchronizeReplicas();
        replica.position = trainer.position();
        long start = System.nanoTime();
        long nextReportAt = start;
        long samples = 0;
        CompletableFuture<?> checkpointWrite = CompletableFuture.completedFuture(null);
        while (trainer.epoch() < spec.epochs()) {
          spans.beginStep(trainer.globalStep() + 1);
          DataParallelTrainer.StepResult r = trainer.step();
          replica.position = trainer.position();
          samples += r.samples();
          metrics.step(a.jobId(), comm.rank(), comm.size(), comm.backend(), r);
          if (comm.rank() == 0) {
            long now = System.nanoTime();
            // The generation's first step (which ends a recovery) and last step always go out.
            if (now - nextReportAt >= 0 || trainer.epoch() >= spec.epochs()) {
              double perSecond = samples / Math.max(1e-9, (now - start) / 1e9);
              a.coordinator()
                  .tell(
                      new TrainingCoordinator.ReportProgress(
                          a.generation(), r.epoch(), r.globalStep(), r.loss(), perSecond));
              nextReportAt = now + PROGRESS_REPORT_INTERVAL_NANOS;
            }
            if (r.globalStep() % spec.checkpointEverySteps() == 0
                && trainer.epoch() < spec.epochs()) {
              checkpointWrite = checkpoint(a, checkpointWrite, spans);
            }
          }
        }
        if (comm.rank() == 0) {
          a.coordinator().tell(new TrainingCoordinator.Finish(a.generation()));
        }
        return true;
      }
    }
  }

  /** Forms the generation's communicator of its backend, inside the rendezvous span. */
  private Communicator connect(
      Assignment a, RingEndpoint ep, CompletableFuture<NcclRendezvous> nccl, GenerationSpans spans)
      throws Exception {
    Span span = spans.rendezvous();
    try {
      Communicator comm =
          a.backend() == Backend.NCCL ? ncclCommunicator(a, nccl) : ep.join(a.rendezvous());
      GenerationSpans.end(span, null);
      return comm;
    } catch (Exception | Error e) {
      GenerationSpans.end(span, e);
      throw e;
    }
  }

  /**
   * Rank 0 creates the generation's NCCL unique id and sends it to the coordinator; every rank
   * waits (at most collective.timeout) for its rendezvous and joins the communicator on its GPU.
   */
  private Communicator ncclCommunicator(Assignment a, CompletableFuture<NcclRendezvous> start)
      throws Exception {
    if (!device.hasGpu()) {
      throw new CollectiveException(
          ErrorKind.INVALID,
          "backend_unavailable",
          "generation "
              + a.generation()
              + " runs on nccl but worker "
              + workerId
              + " has no GPU: "
              + device.note());
    }
    int size = a.rendezvous().peers().size();
    if (a.rendezvous().rank() == 0) {
      byte[] id = Communicators.ncclUniqueId(settings);
      a.coordinator()
          .tell(
              new TrainingCoordinator.NcclIdCreated(
                  a.generation(), new NcclRendezvous(0, size, id, device.gpu())));
    }
    NcclRendezvous mine;
    try {
      mine = start.get(settings.collectiveTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new CollectiveException(
          ErrorKind.TIMEOUT,
          "rendezvous_failed",
          "no nccl unique id for generation "
              + a.generation()
              + " within "
              + settings.collectiveTimeout().toMillis()
              + " ms");
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
    LOG.info(
        "worker {} joins nccl rank {} of {} on GPU {}",
        workerId,
        mine.rank(),
        mine.size(),
        mine.device());
    return Communicators.nccl(mine, settings);
  }

  /**
   * The compute this worker uses in generation {@code a}: the job's request resolved against what
   * this worker can run, by the rule the coordinator's status applies ({@link Computes#resolve}).
   */
  private ComputeKind computeFor(Assignment a) {
    ComputeKind requested = a.spec().compute();
    return Computes.resolve(requested, device.computes().kinds(), a.backend() == Backend.NCCL)
        .orElseThrow(
            () ->
                TrainingError.COMPUTE_UNAVAILABLE.exception(
                    requested.id()
                        + " requested but worker "
                        + workerId
                        + " cannot run it on "
                        + a.backend().id()
                        + ": "
                        + device.computes().note()));
  }

  private Compute openCompute(ComputeKind kind) {
    Compute compute =
        Computes.create(
            new ComputeChoice(kind, device.computes().note()),
            settings.computeThreads(),
            device.gpu(),
            settings);
    LOG.info(
        "worker {} computes on {} ({} thread(s){})",
        workerId,
        kind.id(),
        compute.threads(),
        device.hasGpu() ? ", GPU " + device.gpu() : "");
    return compute;
  }

  private Replica freshReplica(TrainingJobSpec spec, ComputeKind kind) {
    Compute compute = openCompute(kind);
    Mlp model = Mlp.create(spec.model(), spec.seed(), compute);
    Replica fresh =
        new Replica(model, spec.optimizer().create(spec.model().parameterCount(), compute));
    if (replica != null) {
      fresh.data = replica.data;
      replica.close();
    }
    return fresh;
  }

  /**
   * Rank 0 puts its replica where the coordinator said this generation starts; the others copy it
   * in {@code synchronizeReplicas}, so only rank 0 reads a checkpoint.
   */
  private void prepareResume(Assignment a, GenerationSpans spans) throws Exception {
    TrainingCoordinator.Resume resume = a.resume();
    switch (resume.from()) {
      case RecoveryInfo.FROM_CHECKPOINT -> {
        CheckpointInfo c = resume.checkpoint().orElseThrow();
        Span span = spans.checkpointRead(c.step());
        try {
          readCheckpoint(a, c);
          GenerationSpans.end(span, null);
        } catch (Exception | Error e) {
          GenerationSpans.end(span, e);
          throw e;
        }
      }
      case RecoveryInfo.FROM_START -> {
        if (replica.step() != 0) {
          replica = freshReplica(a.spec(), replica.model.compute().kind());
        }
      }
      default -> {} // FROM_REPLICA: this rank holds the most advanced replica (ranked 0 for it)
    }
  }

  /** Loads the job's checkpoint {@code c} into this rank's replica, checking size and CRC-32. */
  private void readCheckpoint(Assignment a, CheckpointInfo c) throws Exception {
    List<byte[]> chunks =
        await(
            checkpoints
                .read(
                    CheckpointStore.persistenceId(a.jobId(), c.generation(), c.step()), c.chunks())
                .toCompletableFuture());
    byte[] bytes = CheckpointCodec.join(chunks);
    if (bytes.length != c.bytes() || CheckpointCodec.crc32(bytes) != c.crc32()) {
      throw new IllegalStateException(
          "checkpoint at step "
              + c.step()
              + " is corrupt: size or CRC-32 differs from its manifest");
    }
    replica.position = CheckpointCodec.decode(bytes, replica.model, replica.optimizer);
    LOG.info(
        "worker {} resumes job {} from the checkpoint at step {}", workerId, a.jobId(), c.step());
  }

  /**
   * Rank 0 encodes a checkpoint of its replica now (a copy, so training goes on) and writes it in
   * the background; the coordinator is told once every chunk is durable. A write still running from
   * the previous checkpoint makes this one skip: checkpoints never queue up behind a slow journal.
   */
  private CompletableFuture<?> checkpoint(
      Assignment a, CompletableFuture<?> previous, GenerationSpans spans) {
    if (!previous.isDone()) {
      LOG.warn(
          "job {}: checkpoint at step {} skipped, the previous one is still being written",
          a.jobId(),
          replica.step());
      return previous;
    }
    Position position = replica.position;
    Span span = spans.checkpointWrite(position.globalStep());
    byte[] bytes = CheckpointCodec.encode(replica.model, replica.optimizer, position);
    List<byte[]> chunks = CheckpointCodec.split(bytes, settings.checkpointChunkBytes());
    span.setAttribute("training.checkpoint.bytes", bytes.length);
    span.setAttribute("training.checkpoint.chunks", chunks.size());
    long crc = CheckpointCodec.crc32(bytes);
    String id = CheckpointStore.persistenceId(a.jobId(), a.generation(), position.globalStep());
    return checkpoints
        .write(id, chunks)
        .toCompletableFuture()
        .orTimeout(settings.checkpointTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete(
            (ok, error) -> {
              GenerationSpans.end(span, error);
              if (error != null) {
                LOG.warn(
                    "job {}: checkpoint at step {} not written: {}",
                    a.jobId(),
                    position.globalStep(),
                    error.toString());
              } else {
                a.coordinator()
                    .tell(
                        new TrainingCoordinator.CheckpointSaved(
                            a.generation(),
                            new CheckpointInfo(
                                a.generation(),
                                position.epoch(),
                                position.globalStep(),
                                chunks.size(),
                                bytes.length,
                                crc,
                                Instant.now())));
              }
            });
  }

  private <T> T await(CompletableFuture<T> f) throws Exception {
    try {
      return f.get(settings.checkpointTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }

  /** The decoded dataset, read once per worker and kept across generations. */
  private TrainingData data(TrainingJobSpec spec) throws Exception {
    if (replica.data == null) {
      try {
        replica.data =
            TrainingData.decode(
                datasets
                    .read(spec.datasetTopic())
                    .toCompletableFuture()
                    .get(settings.collectiveTimeout().toMillis(), TimeUnit.MILLISECONDS),
                spec.model().inputs(),
                spec.model().classes());
      } catch (java.util.concurrent.ExecutionException e) {
        throw e.getCause() instanceof Exception cause ? cause : e;
      }
    }
    return replica.data;
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
