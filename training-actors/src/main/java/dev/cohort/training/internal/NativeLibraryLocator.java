package dev.cohort.training.internal;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finds a native library file the way users expect: an explicit path first, then the JVM's and the
 * loader's library paths, the CUDA installation, the system directories, and Python environments
 * (PyTorch images ship NCCL and the CUDA runtime as pip wheels under {@code
 * site-packages/nvidia/...}). Only looks at files; loading is the caller's business.
 *
 * <p>Stateless and thread-safe. The search reads environment variables and lists a handful of
 * directories, so callers cache the result.
 */
public final class NativeLibraryLocator {

  /**
   * The result of a search.
   *
   * @param found the library, if any
   * @param searched every directory looked in, in order, for the error message
   */
  public record Search(Optional<Path> found, List<String> searched) {
    /** "libnccl.so.2 not found in [dirs]", for errors and skip messages. */
    public String notFoundMessage(String library) {
      return library + " not found in " + searched;
    }
  }

  /** libnccl.so.2 in its usual places; {@code configured} (a file or directory) wins when set. */
  public static Search nccl(String configured) {
    return find(configured, List.of("libnccl.so.2", "libnccl.so"), "nvidia/nccl/lib");
  }

  /** The CUDA runtime in its usual places; {@code configured} wins when set. */
  public static Search cudart(String configured) {
    return find(
        configured,
        List.of("libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0", "libcudart.so"),
        "nvidia/cuda_runtime/lib");
  }

  /** OpenBLAS's CBLAS (Debian: libopenblas0-pthread); {@code configured} wins when set. */
  public static Search openblas(String configured) {
    return find(configured, List.of("libopenblas.so.0", "libopenblas.so"), "scipy_openblas32/lib");
  }

  /**
   * cuBLAS (CUDA toolkit, or the nvidia-cublas wheel: {@code nvidia/cublas/lib} up to CUDA 12,
   * {@code nvidia/cu13/lib} from 13); {@code configured} wins when set.
   */
  public static Search cublas(String configured) {
    List<String> names = List.of("libcublas.so.13", "libcublas.so.12", "libcublas.so");
    Search first = find(configured, names, "nvidia/cublas/lib");
    if (first.found().isPresent() || (configured != null && !configured.isBlank())) {
      return first;
    }
    Search second = find(null, names, "nvidia/cu13/lib");
    List<String> searched = new ArrayList<>(first.searched());
    second.searched().stream().filter(d -> !searched.contains(d)).forEach(searched::add);
    return new Search(second.found(), searched);
  }

  static Search find(String configured, List<String> names, String sitePackagesSubdir) {
    List<String> searched = new ArrayList<>();
    if (configured != null && !configured.isBlank()) {
      // An explicit path is the operator's decision: never fall back to another copy silently.
      Path p = Path.of(configured);
      searched.add(p.toString());
      if (Files.isRegularFile(p)) {
        return new Search(Optional.of(p), searched);
      }
      return new Search(inDirectory(p, names), searched);
    }
    for (Path dir : candidateDirectories(sitePackagesSubdir)) {
      searched.add(dir.toString());
      Optional<Path> hit = inDirectory(dir, names);
      if (hit.isPresent()) {
        return new Search(hit, searched);
      }
    }
    return new Search(Optional.empty(), searched);
  }

  private static Optional<Path> inDirectory(Path dir, List<String> names) {
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    for (String name : names) {
      Path p = dir.resolve(name);
      if (Files.isRegularFile(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  static List<Path> candidateDirectories(String sitePackagesSubdir) {
    Set<Path> dirs = new LinkedHashSet<>();
    addPathList(dirs, System.getProperty("java.library.path"));
    addPathList(dirs, System.getenv("LD_LIBRARY_PATH"));
    for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
      String home = System.getenv(var);
      if (home != null && !home.isBlank()) {
        dirs.add(Path.of(home, "lib64"));
        dirs.add(Path.of(home, "lib"));
      }
    }
    dirs.add(Path.of("/usr/local/cuda/lib64"));
    // Newest CUDA installation first: /usr/local/cuda-13.0 before /usr/local/cuda-12.4.
    children(Path.of("/usr/local"), "cuda-").stream()
        .sorted(Comparator.reverseOrder())
        .forEach(d -> dirs.add(d.resolve("lib64")));
    for (String d :
        List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu")) {
      dirs.add(Path.of(d));
    }
    for (Path sitePackages : sitePackagesDirectories()) {
      dirs.add(sitePackages.resolve(sitePackagesSubdir));
    }
    return List.copyOf(dirs);
  }

  /** site-packages and dist-packages of the Python environments a GPU host usually has. */
  static List<Path> sitePackagesDirectories() {
    List<Path> prefixes = new ArrayList<>();
    for (String var : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
      String v = System.getenv(var);
      if (v != null && !v.isBlank()) {
        prefixes.add(Path.of(v));
      }
    }
    String home = System.getProperty("user.home");
    prefixes.add(Path.of("/opt/conda"));
    prefixes.add(Path.of("/usr/local"));
    prefixes.add(Path.of("/usr"));
    if (home != null) {
      prefixes.add(Path.of(home, ".local"));
      prefixes.addAll(children(Path.of(home, ".pyenv", "versions"), ""));
    }
    List<Path> result = new ArrayList<>();
    for (Path prefix : prefixes) {
      for (Path lib : children(prefix.resolve("lib"), "python3")) {
        result.add(lib.resolve("site-packages"));
        result.add(lib.resolve("dist-packages"));
      }
    }
    result.add(Path.of("/usr/lib/python3/dist-packages"));
    return result;
  }

  private static void addPathList(Set<Path> dirs, String list) {
    if (list == null || list.isBlank()) {
      return;
    }
    for (String entry : list.split(File.pathSeparator)) {
      if (!entry.isBlank()) {
        dirs.add(Path.of(entry));
      }
    }
  }

  private static List<Path> children(Path dir, String prefix) {
    List<Path> result = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return result;
    }
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, prefix + "*")) {
      stream.forEach(
          p -> {
            if (Files.isDirectory(p)) {
              result.add(p);
            }
          });
    } catch (IOException ignored) {
      // an unreadable directory holds nothing we can load
    }
    result.sort(Comparator.naturalOrder());
    return result;
  }

  private NativeLibraryLocator() {}
}
