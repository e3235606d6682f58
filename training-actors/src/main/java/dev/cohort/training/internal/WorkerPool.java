package dev.cohort.training.internal;

import dev.cohort.persistence.CohortSerializable;
import dev.cohort.training.DatasetSource;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.compute.Computes;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * A node's training slots: registered with the receptionist under {@link #KEY}, it spawns a {@link
 * TrainingWorker} for a job when a coordinator recruits, as long as a slot is free, and frees the
 * slot when the worker stops.
 *
 * <p>Slots: unless {@code cohort.training.gpus} is 0, the pool probes once when it starts ({@link
 * NcclProbe}: libcudart, libnccl.so.2, {@code cudaGetDeviceCount}; loading the libraries has no
 * side effect on devices). Where nccl can run the node offers one worker per GPU (at most {@code
 * gpus}), each bound to its own device ordinal; otherwise {@code cohort.training.cpu-slots} CPU
 * workers, which carry the probe's reason so that a job asking for nccl fails naming what is
 * missing.
 *
 * <p>Over-recruitment is harmless: coordinators ask every pool for the workers they still miss, and
 * a worker beyond {@code workers.max} is refused at {@code Join} and stops, freeing its slot.
 */
public final class WorkerPool extends AbstractBehavior<WorkerPool.Command> {

  public static final ServiceKey<Command> KEY =
      ServiceKey.create(Command.class, "cohort-training-pool");

  public sealed interface Command {}

  /** Spawn up to {@code wanted} workers for {@code jobId}, joining {@code coordinator}. */
  public record Recruit(String jobId, ActorRef<TrainingCoordinator.Command> coordinator, int wanted)
      implements Command, CohortSerializable {}

  /** A worker of this pool stopped (watch); local only. */
  private record WorkerStopped(String workerId)
      implements Command, NoSerializationVerificationNeeded {}

  private final int slots;
  private final boolean gpuSlots;
  private final String deviceNote;
  private final Computes.Availability computes; // probed once, the same for every worker
  private final DatasetSource datasets;
  private final TrainingSettings settings;
  private final Map<String, String> workerJob = new HashMap<>();
  // GPU slots only: the device each running worker holds (one worker per GPU).
  private final Map<String, Integer> workerGpu = new HashMap<>();
  private long spawned;

  public static Behavior<Command> create(DatasetSource datasets, TrainingSettings settings) {
    return Behaviors.setup(context -> new WorkerPool(context, datasets, settings));
  }

  private WorkerPool(
      ActorContext<Command> context, DatasetSource datasets, TrainingSettings settings) {
    super(context);
    int gpus = 0;
    String note = "cohort.training.gpus = 0 on this node";
    if (settings.gpus() != 0) {
      NcclProbe probe = NcclProbe.run(settings);
      note = probe.reason();
      if (probe.usable()) {
        gpus =
            settings.gpus() < 0
                ? probe.deviceCount()
                : Math.min(settings.gpus(), probe.deviceCount());
      }
    }
    this.gpuSlots = gpus > 0;
    this.slots = gpuSlots ? gpus : settings.cpuSlots();
    this.deviceNote = note;
    this.computes = Computes.available(gpuSlots ? 0 : WorkerDevice.CPU, settings);
    context
        .getLog()
        .info(
            "training pool: {} {} worker slot(s); {}; computes {} ({})",
            slots,
            gpuSlots ? "GPU" : "CPU",
            deviceNote,
            computes.kinds(),
            computes.note());
    this.datasets = datasets;
    this.settings = settings;
    context.getSystem().receptionist().tell(Receptionist.register(KEY, context.getSelf()));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Recruit.class, this::onRecruit)
        .onMessage(WorkerStopped.class, this::onStopped)
        .build();
  }

  private Behavior<Command> onRecruit(Recruit r) {
    int free = slots - workerJob.size();
    int n = Math.min(free, r.wanted());
    if (n < r.wanted()) {
      getContext()
          .getLog()
          .info(
              "job {} wants {} workers, {} of {} slots are free",
              r.jobId(),
              r.wanted(),
              free,
              slots);
    }
    for (int i = 0; i < n; i++) {
      spawned++;
      String workerId = getContext().getSystem().address() + "/" + r.jobId() + "-" + spawned;
      WorkerDevice device =
          new WorkerDevice(gpuSlots ? freeGpu() : WorkerDevice.CPU, deviceNote, computes);
      var worker =
          getContext()
              .spawn(
                  TrainingWorker.create(workerId, r.coordinator(), datasets, settings, device),
                  "worker-" + spawned);
      getContext().watchWith(worker, new WorkerStopped(workerId));
      workerJob.put(workerId, r.jobId());
      if (device.hasGpu()) {
        workerGpu.put(workerId, device.gpu());
      }
    }
    return this;
  }

  private Behavior<Command> onStopped(WorkerStopped s) {
    workerJob.remove(s.workerId());
    workerGpu.remove(s.workerId());
    return this;
  }

  /** The lowest device ordinal no running worker holds (a free slot guarantees one). */
  private int freeGpu() {
    int gpu = 0;
    while (workerGpu.containsValue(gpu)) {
      gpu++;
    }
    return gpu;
  }
}
