package dev.cohort.training.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the real native libraries for tests. libnccl.so.2 is 252 MB and never committed: the first
 * run extracts it into {@code target/nccl/} from the wheel that {@code pip download
 * nvidia-nccl-cu13==2.30.7 --no-deps} fetches (the machine's local mirror answers in seconds);
 * without pip or the mirror the usual places are searched, and tests that need it skip with a
 * message naming what is missing.
 */
final class NativeLibraries {
  static final String NCCL_WHEEL = "nvidia-nccl-cu13==2.30.7";
  private static final Path TARGET = Path.of(System.getProperty("basedir", ".")).resolve("target");
  private static volatile NativeLibraryLocator.Search ncclSearch;

  private NativeLibraries() {}

  /** The CUDA runtime, or the test is skipped. */
  static CudaRuntime cudartOrSkip() {
    NativeLibraryLocator.Search s = NativeLibraryLocator.cudart("");
    Assumptions.assumeTrue(s.found().isPresent(), () -> s.notFoundMessage("libcudart"));
    return CudaRuntime.load(s.found().get());
  }

  /** Where libnccl.so.2 is, fetching it into target/ once if pip can. */
  static synchronized NativeLibraryLocator.Search ncclSearch() {
    if (ncclSearch == null) {
      Path lib = TARGET.resolve("nccl").resolve("libnccl.so.2");
      if (!Files.isRegularFile(lib)) {
        fetch(lib);
      }
      ncclSearch =
          Files.isRegularFile(lib)
              ? new NativeLibraryLocator.Search(
                  Optional.of(lib), List.of(lib.getParent().toString()))
              : NativeLibraryLocator.nccl("");
    }
    return ncclSearch;
  }

  /** libnccl, or the test is skipped. */
  static Nccl ncclOrSkip() {
    NativeLibraryLocator.Search s = ncclSearch();
    if (s.found().isEmpty()) {
      Assumptions.abort(
          s.notFoundMessage("libnccl.so.2")
              + " (and `pip download "
              + NCCL_WHEEL
              + "` did not work)");
    }
    return Nccl.load(s.found().get());
  }

  private static void fetch(Path lib) {
    Path wheels = TARGET.resolve("nccl-wheel");
    try {
      Files.createDirectories(wheels);
      Process pip =
          new ProcessBuilder(
                  "pip",
                  "download",
                  NCCL_WHEEL,
                  "--no-deps",
                  "-q",
                  "--retries",
                  "0",
                  "-d",
                  wheels.toString())
              .redirectErrorStream(true)
              .redirectOutput(TARGET.resolve("nccl-pip.log").toFile())
              .start();
      if (!pip.waitFor(180, TimeUnit.SECONDS)) {
        pip.destroyForcibly();
        return;
      }
      if (pip.exitValue() != 0) {
        return;
      }
      try (var files = Files.list(wheels)) {
        for (Path wheel : files.filter(p -> p.toString().endsWith(".whl")).toList()) {
          try (ZipFile zip = new ZipFile(wheel.toFile())) {
            ZipEntry entry = zip.getEntry("nvidia/nccl/lib/libnccl.so.2");
            if (entry != null) {
              Files.createDirectories(lib.getParent());
              Path tmp = lib.resolveSibling("libnccl.so.2.part");
              try (InputStream in = zip.getInputStream(entry)) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
              }
              Files.move(tmp, lib, StandardCopyOption.ATOMIC_MOVE);
            }
          }
          Files.delete(wheel); // 216 MB we no longer need
        }
      }
    } catch (IOException e) {
      // no pip, no mirror: fall back to searching the usual places
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
