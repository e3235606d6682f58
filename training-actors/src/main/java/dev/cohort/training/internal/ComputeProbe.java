package dev.cohort.training.internal;

import dev.cohort.training.TrainingSettings;
import java.nio.file.Path;

/**
 * Whether the BLAS computes can run here, and why not: finds and loads OpenBLAS or cuBLAS (with the
 * CUDA runtime). Loading has no side effect on devices; results are not cached (a search lists a
 * few directories, libraries themselves are loaded once per path). Stateless.
 */
public final class ComputeProbe {
  private ComputeProbe() {}

  /**
   * @param usable the library loaded and answered
   * @param reason one sentence naming the library and its version, or what is missing
   * @param openblas the bindings when OpenBLAS loaded (null otherwise)
   * @param cublas the bindings when cuBLAS loaded (null otherwise)
   */
  public record Result(boolean usable, String reason, OpenBlas openblas, Cublas cublas) {}

  public static Result openblas(TrainingSettings settings) {
    NativeLibraryLocator.Search search = NativeLibraryLocator.openblas(settings.openblasPath());
    if (search.found().isEmpty()) {
      return new Result(false, search.notFoundMessage("libopenblas.so.0"), null, null);
    }
    Path p = search.found().get();
    try {
      OpenBlas blas = OpenBlas.load(p);
      return new Result(true, blas.config().trim() + " at " + p, blas, null);
    } catch (RuntimeException | LinkageError e) {
      return new Result(false, "cannot load " + p + ": " + e, null, null);
    }
  }

  public static Result cublas(TrainingSettings settings) {
    NativeLibraryLocator.Search cudart = NativeLibraryLocator.cudart(settings.cudartPath());
    if (cudart.found().isEmpty()) {
      return new Result(false, cudart.notFoundMessage("libcudart"), null, null);
    }
    NativeLibraryLocator.Search search = NativeLibraryLocator.cublas(settings.cublasPath());
    if (search.found().isEmpty()) {
      return new Result(false, search.notFoundMessage("libcublas"), null, null);
    }
    Path p = search.found().get();
    try {
      CudaRuntime cuda = CudaRuntime.load(cudart.found().get());
      Cublas cublas = Cublas.load(p, cuda);
      return new Result(true, "cuBLAS at " + p, null, cublas);
    } catch (RuntimeException | LinkageError e) {
      return new Result(false, "cannot load " + p + ": " + e, null, null);
    }
  }
}
