package dev.cohort.training.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.collective.Backend;
import dev.cohort.training.collective.BackendChoice;
import dev.cohort.training.collective.CollectiveException;
import dev.cohort.training.collective.Communicators;
import dev.cohort.training.collective.NcclRendezvous;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The FFM bindings against the real libcudart and libnccl.so.2 wherever they are present; skips,
 * naming the missing library, where they are not. The "no GPU" checks run only where the CUDA
 * runtime reports no usable device, which is what a development machine without a GPU shows.
 */
class NcclBindingTest {

  static TrainingSettings settings(Duration timeout) {
    NativeLibraryLocator.Search nccl = NativeLibraries.ncclSearch();
    return TrainingSettings.create(ConfigFactory.load())
        .withCollectiveTimeout(timeout)
        .withNcclLibraryPath(nccl.found().map(Object::toString).orElse(""));
  }

  static boolean hasGpu(CudaRuntime cuda) {
    int[] count = new int[1];
    return cuda.getDeviceCount(count) == 0 && count[0] > 0;
  }

  @Test
  void cudaRuntimeReportsNoDriverCleanly() {
    CudaRuntime cuda = NativeLibraries.cudartOrSkip();
    Assumptions.assumeFalse(hasGpu(cuda), "a GPU is present: the no-GPU path does not apply");
    int[] count = {-1};
    int rc = cuda.getDeviceCount(count);
    assertNotEquals(0, rc);
    assertEquals(0, count[0]);
    assertTrue(cuda.errorName(rc).startsWith("cudaError"), cuda.errorName(rc));
    assertFalse(cuda.errorString(rc).isBlank());
    if (cuda.driverVersion() == 0) {
      // No driver installed at all: the runtime's documented answer is "insufficient driver".
      assertEquals(CudaRuntime.ERROR_INSUFFICIENT_DRIVER, rc, cuda.describe(rc));
      assertEquals("cudaErrorInsufficientDriver", cuda.errorName(rc));
    }
    assertTrue(cuda.runtimeVersion() >= 11000, "runtime version " + cuda.runtimeVersion());
  }

  @Test
  void ncclVersionAndErrorStrings() {
    Nccl nccl = NativeLibraries.ncclOrSkip();
    int version = nccl.version();
    assertTrue(version >= 20900, "NCCL version code " + version);
    if (nccl.path().toString().contains("target/nccl")) {
      assertEquals(23007, version, "the wheel fetched by the test is NCCL 2.30.7");
      assertEquals("2.30.7", Nccl.versionString(version));
    }
    assertEquals("no error", nccl.errorString(Nccl.SUCCESS));
    assertTrue(
        nccl.errorString(Nccl.UNHANDLED_CUDA_ERROR).toLowerCase().contains("cuda"),
        nccl.errorString(Nccl.UNHANDLED_CUDA_ERROR));
    assertTrue(
        nccl.errorString(Nccl.INVALID_USAGE).toLowerCase().contains("usage"),
        nccl.errorString(Nccl.INVALID_USAGE));
    assertTrue(
        nccl.errorString(Nccl.IN_PROGRESS).toLowerCase().contains("progress"),
        nccl.errorString(Nccl.IN_PROGRESS));
  }

  @Test
  void uniqueIdsAre128FreshBytes() {
    Nccl nccl = NativeLibraries.ncclOrSkip();
    byte[] a = new byte[NcclRendezvous.UNIQUE_ID_BYTES];
    byte[] b = new byte[NcclRendezvous.UNIQUE_ID_BYTES];
    assertEquals(Nccl.SUCCESS, nccl.getUniqueId(a), () -> nccl.describe(1, 0));
    assertEquals(Nccl.SUCCESS, nccl.getUniqueId(b));
    assertFalse(Arrays.equals(a, new byte[128]), "an all-zero unique id");
    assertFalse(Arrays.equals(a, b), "two unique ids are the same");
    assertEquals(128, Nccl.UNIQUE_ID_LAYOUT.byteSize());
    // The public factory gives the same shape, through the configured library.
    assertEquals(128, Communicators.ncclUniqueId(settings(Duration.ofSeconds(5))).length);
  }

  @Test
  void configStructMatchesTheHeadersInitializer() {
    // Layout of ncclConfig_v23000 on LP64: pointers 8-aligned after an even number of ints.
    assertEquals(96, Nccl.CONFIG_LAYOUT.byteSize());
    assertEquals(
        32,
        Nccl.CONFIG_LAYOUT.byteOffset(
            java.lang.foreign.MemoryLayout.PathElement.groupElement("netName")));
    assertEquals(
        48,
        Nccl.CONFIG_LAYOUT.byteOffset(
            java.lang.foreign.MemoryLayout.PathElement.groupElement("commName")));
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment c = Nccl.newConfig(arena, 0);
      assertEquals(96L, c.get(ValueLayout.JAVA_LONG, 0), "size");
      assertEquals(0xcafebeef, c.get(ValueLayout.JAVA_INT, 8), "magic (NCCL_API_MAGIC)");
      assertEquals(23007, c.get(ValueLayout.JAVA_INT, 12), "version (NCCL_VERSION_CODE)");
      assertEquals(0, c.get(ValueLayout.JAVA_INT, 16), "blocking");
      for (long off : new long[] {20, 24, 28, 40, 44, 56, 60, 64, 68, 72, 76, 80, 84, 88, 92}) {
        assertEquals(
            Integer.MIN_VALUE, c.get(ValueLayout.JAVA_INT, off), "NCCL_CONFIG_UNDEF_INT at " + off);
      }
      assertEquals(0L, c.get(ValueLayout.JAVA_LONG, 32), "netName NULL");
      assertEquals(0L, c.get(ValueLayout.JAVA_LONG, 48), "commName NULL");
    }
  }

  @Test
  void nonBlockingInitWithoutGpuFailsCleanly() {
    CudaRuntime cuda = NativeLibraries.cudartOrSkip();
    Assumptions.assumeFalse(hasGpu(cuda), "a GPU is present: the no-GPU path does not apply");
    Nccl nccl = NativeLibraries.ncclOrSkip();
    byte[] id = new byte[128];
    assertEquals(Nccl.SUCCESS, nccl.getUniqueId(id));
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    try (Arena arena = Arena.ofConfined()) {
      long[] comm = new long[1];
      int rc = nccl.commInitRankConfig(comm, 1, id, 0, Nccl.newConfig(arena, 0));
      int[] state = {rc};
      while (state[0] == Nccl.IN_PROGRESS && comm[0] != 0 && System.nanoTime() < deadline) {
        assertEquals(Nccl.SUCCESS, nccl.commGetAsyncError(comm[0], state));
        Thread.onSpinWait();
      }
      assertNotEquals(Nccl.IN_PROGRESS, state[0], "init still in progress after 30 s");
      assertNotEquals(Nccl.SUCCESS, state[0], "init succeeded without a GPU");
      // Without a driver NCCL reports the CUDA failure as such, not as an internal error.
      assertEquals(Nccl.UNHANDLED_CUDA_ERROR, state[0], nccl.describe(state[0], comm[0]));
      assertFalse(nccl.errorString(state[0]).isBlank());
      if (comm[0] != 0) {
        nccl.commAbort(comm[0]);
      }
    }
  }

  @Test
  void backendSelectionWithoutGpuPicksRingAndRefusesNccl() {
    CudaRuntime cuda = NativeLibraries.cudartOrSkip();
    Assumptions.assumeFalse(hasGpu(cuda), "a GPU is present");
    TrainingSettings settings = settings(Duration.ofSeconds(5));
    BackendChoice auto = Communicators.chooseBackend(Backend.AUTO, settings);
    assertEquals(Backend.RING, auto.backend());
    assertTrue(auto.reason().contains("cudaGetDeviceCount"), auto.reason());
    CollectiveException e =
        assertThrows(
            CollectiveException.class, () -> Communicators.chooseBackend(Backend.NCCL, settings));
    assertEquals("backend_unavailable", e.code());
    CollectiveException join =
        assertThrows(
            CollectiveException.class,
            () -> Communicators.nccl(new NcclRendezvous(0, 1, new byte[128], 0), settings));
    assertEquals("backend_unavailable", join.code());
  }

  @Test
  void communicatorWithoutGpuFailsWithACudaErrorInsteadOfHanging() {
    CudaRuntime cuda = NativeLibraries.cudartOrSkip();
    Assumptions.assumeFalse(hasGpu(cuda), "a GPU is present");
    Nccl nccl = NativeLibraries.ncclOrSkip();
    byte[] id = new byte[128];
    assertEquals(Nccl.SUCCESS, nccl.getUniqueId(id));
    CollectiveException e =
        assertThrows(
            CollectiveException.class,
            () ->
                NcclCommunicator.create(
                    nccl, cuda, new NcclRendezvous(0, 1, id, 0), settings(Duration.ofSeconds(10))));
    assertEquals("cuda_error", e.code(), e.getMessage());
    assertTrue(e.getMessage().contains("cudaSetDevice"), e.getMessage());
  }
}
