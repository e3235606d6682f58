package dev.cohort.training.compute;

import dev.cohort.training.TrainingError;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.internal.ComputeProbe;
import dev.cohort.training.internal.CublasCompute;
import dev.cohort.training.internal.JavaCompute;
import dev.cohort.training.internal.OpenBlasCompute;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Chooses and makes a worker's {@link Compute}. Each worker knows which computes it can run ({@link
 * #available}: java always, openblas where OpenBLAS loads, cublas where the worker has a GPU and
 * cuBLAS loads); a job's request resolves against that list ({@link #resolve}): {@code auto} picks
 * cublas where the generation runs on nccl and the worker can run it, otherwise openblas where it
 * can, otherwise java; {@code openblas} and {@code cublas} resolve only where they can run (cublas
 * only on nccl, whose device buffers it shares). The coordinator and the worker apply the same rule
 * to the same list, so the job status names the compute each worker uses. Thread-safe.
 */
public final class Computes {
  private Computes() {}

  /**
   * What one worker can run and why.
   *
   * @param kinds java first, then openblas and cublas where they load
   * @param note the probes' findings, e.g. "OpenBLAS 0.3.21 ... at /usr/lib/...; cublas: no GPU"
   */
  public record Availability(List<ComputeKind> kinds, String note) {
    /** Only the java compute (a worker that probed nothing). */
    public static final Availability JAVA_ONLY =
        new Availability(List.of(ComputeKind.JAVA), "java only (not probed)");
  }

  /** Probes the libraries for a worker on GPU {@code gpu} (-1 for a CPU worker). */
  public static Availability available(int gpu, TrainingSettings settings) {
    List<ComputeKind> kinds = new ArrayList<>(List.of(ComputeKind.JAVA));
    ComputeProbe.Result blas = ComputeProbe.openblas(settings);
    if (blas.usable()) {
      kinds.add(ComputeKind.OPENBLAS);
    }
    String note = "openblas: " + blas.reason();
    if (gpu >= 0) {
      ComputeProbe.Result cublas = ComputeProbe.cublas(settings);
      if (cublas.usable()) {
        kinds.add(ComputeKind.CUBLAS);
      }
      note += "; cublas: " + cublas.reason();
    } else {
      note += "; cublas: no GPU";
    }
    return new Availability(List.copyOf(kinds), note);
  }

  /**
   * The compute a worker that can run {@code kinds} uses for {@code requested} in a generation on
   * nccl ({@code nccl}) or ring; empty where the request cannot run there.
   */
  public static Optional<ComputeKind> resolve(
      ComputeKind requested, List<ComputeKind> kinds, boolean nccl) {
    List<ComputeKind> usable = kinds.isEmpty() ? List.of(ComputeKind.JAVA) : kinds;
    return switch (requested) {
      case JAVA -> Optional.of(ComputeKind.JAVA);
      case OPENBLAS ->
          usable.contains(ComputeKind.OPENBLAS)
              ? Optional.of(ComputeKind.OPENBLAS)
              : Optional.empty();
      case CUBLAS ->
          nccl && usable.contains(ComputeKind.CUBLAS)
              ? Optional.of(ComputeKind.CUBLAS)
              : Optional.empty();
      case AUTO -> {
        if (nccl && usable.contains(ComputeKind.CUBLAS)) {
          yield Optional.of(ComputeKind.CUBLAS);
        }
        yield Optional.of(
            usable.contains(ComputeKind.OPENBLAS) ? ComputeKind.OPENBLAS : ComputeKind.JAVA);
      }
    };
  }

  /**
   * Probes and resolves in one go (benchmarks and tools): the compute for {@code requested} on a
   * worker with GPU {@code gpu} (-1: none; a GPU implies nccl), with the probes' findings as the
   * reason. Fails with {@code compute_unavailable} where the request cannot run here.
   */
  public static ComputeChoice choose(ComputeKind requested, int gpu, TrainingSettings settings) {
    Availability available = available(gpu, settings);
    ComputeKind kind =
        resolve(requested, available.kinds(), gpu >= 0)
            .orElseThrow(
                () ->
                    TrainingError.COMPUTE_UNAVAILABLE.exception(
                        requested.id() + " requested but " + available.note()));
    return new ComputeChoice(kind, requested.id() + " → " + kind.id() + ": " + available.note());
  }

  /**
   * A compute of the chosen kind: {@code threads} for CPU computes (the worker's share of the
   * cores), {@code gpu} the device ordinal for cublas.
   */
  public static Compute create(
      ComputeChoice choice, int threads, int gpu, TrainingSettings settings) {
    return switch (choice.kind()) {
      case JAVA -> new JavaCompute(threads);
      case OPENBLAS -> {
        ComputeProbe.Result probe = ComputeProbe.openblas(settings);
        if (!probe.usable()) {
          throw TrainingError.COMPUTE_UNAVAILABLE.exception("openblas: " + probe.reason());
        }
        yield new OpenBlasCompute(probe.openblas(), threads);
      }
      case CUBLAS -> CublasCompute.create(gpu, settings);
      case AUTO -> throw new IllegalArgumentException("resolve auto with choose() first");
    };
  }
}
