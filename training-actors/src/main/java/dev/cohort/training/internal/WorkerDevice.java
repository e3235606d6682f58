package dev.cohort.training.internal;

import dev.cohort.training.TrainingSettings;
import dev.cohort.training.compute.Computes;

/**
 * What one training worker computes and communicates on: a GPU ({@code gpu >= 0}, a CUDA device
 * ordinal of its node; the worker can run the nccl backend) or the CPU ({@code gpu = -1}; ring
 * only). Chosen by the node's {@link WorkerPool} from one {@link NcclProbe}.
 *
 * @param gpu the CUDA device ordinal, or -1 for a CPU worker
 * @param note why: the probe's finding (libraries, GPUs), shown when a job cannot use nccl here
 * @param computes the computes the worker can run and why ({@link Computes#available})
 */
public record WorkerDevice(int gpu, String note, Computes.Availability computes) {
  public static final int CPU = -1;

  /** A device whose computes were not probed: java only. */
  public WorkerDevice(int gpu, String note) {
    this(gpu, note, Computes.Availability.JAVA_ONLY);
  }

  /** This device with the computes its node can run on it (probes the libraries). */
  public WorkerDevice probed(TrainingSettings settings) {
    return new WorkerDevice(gpu, note, Computes.available(gpu, settings));
  }

  /** A CPU worker; {@code why} says why it has no GPU (e.g. the probe's reason). */
  public static WorkerDevice cpu(String why) {
    return new WorkerDevice(CPU, why);
  }

  public boolean hasGpu() {
    return gpu >= 0;
  }

  /** "cpu" or "cuda:N", as the job status shows it. */
  public String label() {
    return hasGpu() ? "cuda:" + gpu : "cpu";
  }
}
