package dev.cohort.training.compute;

import dev.cohort.training.TrainingError;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.internal.ComputeProbe;
import dev.cohort.training.internal.CublasCompute;
import dev.cohort.training.internal.JavaCompute;
import dev.cohort.training.internal.OpenBlasCompute;

/**
 * Chooses and makes a worker's {@link Compute}. {@code auto} picks {@code cublas} where the worker
 * has a GPU (it runs on nccl) and cuBLAS loads, otherwise {@code openblas} where OpenBLAS loads,
 * otherwise {@code java}; the reason names what was found or missing. Asking for {@code openblas}
 * or {@code cublas} where it cannot run fails with {@code compute_unavailable}. Thread-safe.
 */
public final class Computes {
  private Computes() {}

  /**
   * @param requested what the job asks for
   * @param gpu the worker's GPU ordinal, or -1 for a CPU worker
   */
  public static ComputeChoice choose(ComputeKind requested, int gpu, TrainingSettings settings) {
    return switch (requested) {
      case JAVA -> new ComputeChoice(ComputeKind.JAVA, "java requested");
      case OPENBLAS -> {
        ComputeProbe.Result blas = ComputeProbe.openblas(settings);
        if (!blas.usable()) {
          throw TrainingError.COMPUTE_UNAVAILABLE.exception(
              "openblas requested but " + blas.reason());
        }
        yield new ComputeChoice(ComputeKind.OPENBLAS, "openblas requested: " + blas.reason());
      }
      case CUBLAS -> {
        if (gpu < 0) {
          throw TrainingError.COMPUTE_UNAVAILABLE.exception(
              "cublas requested but the worker has no GPU");
        }
        ComputeProbe.Result cublas = ComputeProbe.cublas(settings);
        if (!cublas.usable()) {
          throw TrainingError.COMPUTE_UNAVAILABLE.exception(
              "cublas requested but " + cublas.reason());
        }
        yield new ComputeChoice(ComputeKind.CUBLAS, "cublas requested: " + cublas.reason());
      }
      case AUTO -> auto(gpu, settings);
    };
  }

  private static ComputeChoice auto(int gpu, TrainingSettings settings) {
    String gpuNote = "no GPU";
    if (gpu >= 0) {
      ComputeProbe.Result cublas = ComputeProbe.cublas(settings);
      if (cublas.usable()) {
        return new ComputeChoice(ComputeKind.CUBLAS, "auto: GPU " + gpu + ", " + cublas.reason());
      }
      gpuNote = "GPU " + gpu + " but " + cublas.reason();
    }
    ComputeProbe.Result blas = ComputeProbe.openblas(settings);
    if (blas.usable()) {
      return new ComputeChoice(ComputeKind.OPENBLAS, "auto: " + gpuNote + "; " + blas.reason());
    }
    return new ComputeChoice(
        ComputeKind.JAVA, "auto: " + gpuNote + "; " + blas.reason() + "; using java");
  }

  /**
   * A compute of the chosen kind: {@code threads} for CPU computes (the worker's share of the
   * cores), {@code gpu} the device ordinal for cublas.
   */
  public static Compute create(
      ComputeChoice choice, int threads, int gpu, TrainingSettings settings) {
    return switch (choice.kind()) {
      case JAVA -> new JavaCompute(threads);
      case OPENBLAS -> new OpenBlasCompute(ComputeProbe.openblas(settings).openblas(), threads);
      case CUBLAS -> CublasCompute.create(gpu, settings);
      case AUTO -> throw new IllegalArgumentException("resolve auto with choose() first");
    };
  }
}
