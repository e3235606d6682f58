package dev.cohort.training.internal;

import dev.cohort.training.TrainingSettings;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Whether the nccl backend can run here, and why not: finds and loads libcudart and libnccl, asks
 * the runtime for devices. Loading a library has no side effect on devices; {@code
 * cudaGetDeviceCount} creates no context.
 *
 * @param usable true when both libraries loaded and at least one GPU is visible
 * @param reason one sentence for logs and job status, naming what was found or missing
 * @param cudart the CUDA runtime, when it loaded
 * @param nccl the NCCL library, when it loaded
 * @param deviceCount visible GPUs (0 when the runtime is missing or reports an error)
 * @param ncclVersion e.g. 23007, or 0 when NCCL is missing
 */
public record NcclProbe(
    boolean usable,
    String reason,
    Optional<CudaRuntime> cudart,
    Optional<Nccl> nccl,
    int deviceCount,
    int ncclVersion) {

  public static NcclProbe run(TrainingSettings settings) {
    NativeLibraryLocator.Search cudartSearch = NativeLibraryLocator.cudart(settings.cudartPath());
    if (cudartSearch.found().isEmpty()) {
      return new NcclProbe(
          false,
          cudartSearch.notFoundMessage("libcudart"),
          Optional.empty(),
          Optional.empty(),
          0,
          0);
    }
    CudaRuntime cuda;
    try {
      cuda = CudaRuntime.load(cudartSearch.found().get());
    } catch (RuntimeException | LinkageError e) {
      return new NcclProbe(
          false,
          "cannot load " + cudartSearch.found().get() + ": " + e,
          Optional.empty(),
          Optional.empty(),
          0,
          0);
    }
    Optional<Nccl> nccl = Optional.empty();
    int version = 0;
    String ncclNote;
    NativeLibraryLocator.Search ncclSearch = NativeLibraryLocator.nccl(settings.ncclLibraryPath());
    if (ncclSearch.found().isEmpty()) {
      ncclNote = ncclSearch.notFoundMessage("libnccl.so.2");
    } else {
      Path p = ncclSearch.found().get();
      try {
        Nccl lib = Nccl.load(p);
        version = lib.version();
        nccl = Optional.of(lib);
        ncclNote = "NCCL " + Nccl.versionString(version) + " at " + p;
      } catch (RuntimeException | LinkageError e) {
        ncclNote = "cannot load " + p + ": " + e;
      }
    }
    int[] count = new int[1];
    int rc = cuda.getDeviceCount(count);
    if (rc != 0) {
      return new NcclProbe(
          false,
          "no usable GPU: cudaGetDeviceCount returned " + cuda.describe(rc) + "; " + ncclNote,
          Optional.of(cuda),
          nccl,
          0,
          version);
    }
    if (count[0] == 0) {
      return new NcclProbe(
          false,
          "no GPU visible to the CUDA runtime; " + ncclNote,
          Optional.of(cuda),
          nccl,
          0,
          version);
    }
    if (nccl.isEmpty()) {
      return new NcclProbe(
          false, count[0] + " GPU(s) but " + ncclNote, Optional.of(cuda), nccl, count[0], 0);
    }
    return new NcclProbe(
        true, count[0] + " GPU(s), " + ncclNote, Optional.of(cuda), nccl, count[0], version);
  }
}
