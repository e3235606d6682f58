package dev.cohort.training.internal;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.cohort.training.collective.ReduceOp;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * NVIDIA NCCL ({@code libnccl.so.2}) bound through {@code java.lang.foreign} at run time. Methods
 * return the raw {@code ncclResult_t} (0 is success, 7 {@code ncclInProgress} for non-blocking
 * communicators) and write outputs into caller-provided arrays.
 *
 * <p>Layouts follow {@code nccl.h} of NCCL 2.30 (read from NVIDIA's header, not copied):
 *
 * <ul>
 *   <li>{@code ncclUniqueId} is a struct of 128 bytes, passed by value to {@code
 *       ncclCommInitRankConfig}.
 *   <li>{@code ncclConfig_t} ({@code ncclConfig_v23000}) is {@code size_t size; unsigned magic;
 *       unsigned version;} followed by the user attributes {@code blocking, cgaClusterSize,
 *       minCTAs, maxCTAs} (int), {@code netName} (pointer), {@code splitShare, trafficClass} (int),
 *       {@code commName} (pointer) and ten more ints ({@code collnetEnable, CTAPolicy, shrinkShare,
 *       nvlsCTAs, nChannelsPerNetPeer, nvlinkCentricSched, graphUsageMode, numRmaCtx, maxP2pPeers,
 *       graphStreamOrdering}): 96 bytes on LP64. {@code NCCL_CONFIG_INITIALIZER} sets {@code size}
 *       to the struct's size, {@code magic} to {@code NCCL_API_MAGIC = 0xcafebeef}, {@code version}
 *       to {@code NCCL_VERSION_CODE} and every attribute to "undefined" ({@code INT_MIN} or {@code
 *       NULL}) so that the library applies its own default.
 * </ul>
 *
 * <p>Versioning hazard: NCCL reads {@code size} and {@code version} to learn which attributes the
 * caller knows; attributes are only ever appended. We declare the 2.30 layout and version 23007; an
 * older library reads the prefix it knows and ignores the rest, and a newer one treats the
 * attributes we do not declare as undefined. We set only {@code blocking} (to 0).
 *
 * <p>Thread-safety: the methods are safe to call from any thread, but CUDA keeps the current device
 * per thread, so callers make every call for one communicator from its device thread. Loaded once
 * per path into the global arena; never unloaded.
 */
public final class Nccl {
  public static final int SUCCESS = 0;
  public static final int UNHANDLED_CUDA_ERROR = 1;
  public static final int INVALID_ARGUMENT = 4;
  public static final int INVALID_USAGE = 5;
  public static final int IN_PROGRESS = 7;

  /** {@code NCCL_API_MAGIC}. */
  public static final int CONFIG_MAGIC = 0xcafebeef;

  /** The {@code NCCL_VERSION_CODE} of the header whose {@code ncclConfig_t} layout we declare. */
  public static final int CONFIG_VERSION = 23007;

  /** {@code NCCL_CONFIG_UNDEF_INT}. */
  public static final int CONFIG_UNDEF_INT = Integer.MIN_VALUE;

  /** {@code ncclFloat32}. */
  public static final int FLOAT32 = 7;

  /** {@code ncclConfig_t} of NCCL 2.30 on LP64. */
  public static final StructLayout CONFIG_LAYOUT =
      MemoryLayout.structLayout(
          JAVA_LONG.withName("size"),
          JAVA_INT.withName("magic"),
          JAVA_INT.withName("version"),
          JAVA_INT.withName("blocking"),
          JAVA_INT.withName("cgaClusterSize"),
          JAVA_INT.withName("minCTAs"),
          JAVA_INT.withName("maxCTAs"),
          ADDRESS.withName("netName"),
          JAVA_INT.withName("splitShare"),
          JAVA_INT.withName("trafficClass"),
          ADDRESS.withName("commName"),
          JAVA_INT.withName("collnetEnable"),
          JAVA_INT.withName("CTAPolicy"),
          JAVA_INT.withName("shrinkShare"),
          JAVA_INT.withName("nvlsCTAs"),
          JAVA_INT.withName("nChannelsPerNetPeer"),
          JAVA_INT.withName("nvlinkCentricSched"),
          JAVA_INT.withName("graphUsageMode"),
          JAVA_INT.withName("numRmaCtx"),
          JAVA_INT.withName("maxP2pPeers"),
          JAVA_INT.withName("graphStreamOrdering"));

  /** {@code ncclUniqueId}: 128 opaque bytes. */
  public static final StructLayout UNIQUE_ID_LAYOUT =
      MemoryLayout.structLayout(MemoryLayout.sequenceLayout(128, JAVA_BYTE).withName("internal"));

  private static final Map<Path, Nccl> LOADED = new ConcurrentHashMap<>();

  private final Path path;
  private final MethodHandle getVersion;
  private final MethodHandle getErrorString;
  private final MethodHandle getLastError;
  private final MethodHandle getUniqueId;
  private final MethodHandle commInitRankConfig;
  private final MethodHandle commGetAsyncError;
  private final MethodHandle commAbort;
  private final MethodHandle commDestroy;
  private final MethodHandle commFinalize;
  private final MethodHandle allReduce;
  private final MethodHandle reduceScatter;
  private final MethodHandle allGather;
  private final MethodHandle broadcast;
  private final MethodHandle groupStart;
  private final MethodHandle groupEnd;

  private Nccl(Path path) {
    this.path = path;
    Binder b = new Binder(SymbolLookup.libraryLookup(path, Arena.global()), path);
    getVersion = b.bind("ncclGetVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    getErrorString = b.bind("ncclGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    getLastError = b.bind("ncclGetLastError", FunctionDescriptor.of(ADDRESS, ADDRESS));
    getUniqueId = b.bind("ncclGetUniqueId", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    commInitRankConfig =
        b.bind(
            "ncclCommInitRankConfig",
            FunctionDescriptor.of(
                JAVA_INT, ADDRESS, JAVA_INT, UNIQUE_ID_LAYOUT, JAVA_INT, ADDRESS));
    commGetAsyncError =
        b.bind("ncclCommGetAsyncError", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    commAbort = b.bind("ncclCommAbort", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    commDestroy = b.bind("ncclCommDestroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    commFinalize = b.bind("ncclCommFinalize", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    // (sendbuff, recvbuff, count, datatype, op, comm, stream)
    allReduce =
        b.bind(
            "ncclAllReduce",
            FunctionDescriptor.of(
                JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    // (sendbuff, recvbuff, recvcount, datatype, op, comm, stream)
    reduceScatter =
        b.bind(
            "ncclReduceScatter",
            FunctionDescriptor.of(
                JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    // (sendbuff, recvbuff, sendcount, datatype, comm, stream)
    allGather =
        b.bind(
            "ncclAllGather",
            FunctionDescriptor.of(
                JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
    // (sendbuff, recvbuff, count, datatype, root, comm, stream)
    broadcast =
        b.bind(
            "ncclBroadcast",
            FunctionDescriptor.of(
                JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    groupStart = b.bind("ncclGroupStart", FunctionDescriptor.of(JAVA_INT));
    groupEnd = b.bind("ncclGroupEnd", FunctionDescriptor.of(JAVA_INT));
  }

  /** Loads (once) the library at {@code path}. */
  public static Nccl load(Path path) {
    return LOADED.computeIfAbsent(path.toAbsolutePath(), Nccl::new);
  }

  public Path path() {
    return path;
  }

  /** ncclGetVersion: major*10000 + minor*100 + patch, e.g. 23007 for 2.30.7. */
  public int version() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment out = a.allocate(JAVA_INT);
      int rc = (int) getVersion.invokeExact(out);
      if (rc != SUCCESS) {
        throw new IllegalStateException("ncclGetVersion failed: " + errorString(rc));
      }
      return out.get(JAVA_INT, 0);
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /** "2.30.7" for 23007 (NCCL ≥ 2.9 encodes major*10000 + minor*100 + patch). */
  public static String versionString(int code) {
    return code / 10000 + "." + (code / 100) % 100 + "." + code % 100;
  }

  public String errorString(int result) {
    try {
      return Binder.string((MemorySegment) getErrorString.invokeExact(result));
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /** The last error message NCCL logged for {@code comm} (or globally for NULL), often detailed. */
  public String lastError(long comm) {
    try {
      return Binder.string((MemorySegment) getLastError.invokeExact(MemorySegment.ofAddress(comm)));
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /** "unhandled cuda error (1): <last error>", for exception messages. */
  public String describe(int result, long comm) {
    String last = lastError(comm);
    return errorString(result)
        + " (ncclResult_t "
        + result
        + ")"
        + (last.isBlank() ? "" : ": " + last);
  }

  /**
   * ncclGetUniqueId into {@code id} (128 bytes). Needs no GPU: it only opens a bootstrap socket.
   */
  public int getUniqueId(byte[] id) {
    if (id.length != 128) {
      throw new IllegalArgumentException("an ncclUniqueId has 128 bytes");
    }
    try (Arena a = Arena.ofConfined()) {
      MemorySegment out = a.allocate(UNIQUE_ID_LAYOUT);
      int rc = (int) getUniqueId.invokeExact(out);
      if (rc == SUCCESS) {
        MemorySegment.copy(out, JAVA_BYTE, 0, id, 0, 128);
      }
      return rc;
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /** A config initialised as {@code NCCL_CONFIG_INITIALIZER} does, with {@code blocking} set. */
  public static MemorySegment newConfig(Arena arena, int blocking) {
    MemorySegment config = arena.allocate(CONFIG_LAYOUT);
    for (MemoryLayout member : CONFIG_LAYOUT.memberLayouts()) {
      if (member instanceof java.lang.foreign.ValueLayout.OfInt) {
        field(member.name().orElseThrow()).set(config, 0L, CONFIG_UNDEF_INT);
      }
      // pointers stay NULL (NCCL_CONFIG_UNDEF_PTR), which allocate() already zeroed
    }
    field("size").set(config, 0L, CONFIG_LAYOUT.byteSize());
    field("magic").set(config, 0L, CONFIG_MAGIC);
    field("version").set(config, 0L, CONFIG_VERSION);
    field("blocking").set(config, 0L, blocking);
    return config;
  }

  /** A VarHandle for one {@code ncclConfig_t} field, (segment, base offset) coordinates. */
  public static VarHandle field(String name) {
    return CONFIG_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement(name));
  }

  /**
   * ncclCommInitRankConfig; the communicator handle goes to {@code comm[0]} (also on {@link
   * #IN_PROGRESS}, when the caller must poll {@link #commGetAsyncError}).
   */
  public int commInitRankConfig(
      long[] comm, int nranks, byte[] uniqueId, int rank, MemorySegment config) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment out = a.allocate(ADDRESS);
      MemorySegment id = a.allocate(UNIQUE_ID_LAYOUT);
      MemorySegment.copy(uniqueId, 0, id, JAVA_BYTE, 0, 128);
      int rc = (int) commInitRankConfig.invokeExact(out, nranks, id, rank, config);
      comm[0] = out.get(ADDRESS, 0).address();
      return rc;
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /**
   * Returns the call's own result; {@code asyncError[0]} receives the communicator's state: 0 when
   * idle and healthy, {@link #IN_PROGRESS} while initialising or launching, an error otherwise.
   */
  public int commGetAsyncError(long comm, int[] asyncError) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment out = a.allocate(JAVA_INT);
      int rc = (int) commGetAsyncError.invokeExact(MemorySegment.ofAddress(comm), out);
      asyncError[0] = out.get(JAVA_INT, 0);
      return rc;
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  public int commAbort(long comm) {
    return onComm(commAbort, comm);
  }

  public int commDestroy(long comm) {
    return onComm(commDestroy, comm);
  }

  public int commFinalize(long comm) {
    return onComm(commFinalize, comm);
  }

  private static int onComm(MethodHandle h, long comm) {
    try {
      return (int) h.invokeExact(MemorySegment.ofAddress(comm));
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  /** ncclRedOp_t of a reduction: ncclSum 0, ncclMax 2, ncclMin 3, ncclAvg 4 (NCCL ≥ 2.10). */
  public static int redOp(ReduceOp op) {
    return switch (op) {
      case SUM -> 0;
      case MAX -> 2;
      case MIN -> 3;
      case AVG -> 4;
    };
  }

  public int allReduce(long send, long recv, long count, ReduceOp op, long comm, long stream) {
    try {
      return (int)
          allReduce.invokeExact(
              MemorySegment.ofAddress(send),
              MemorySegment.ofAddress(recv),
              count,
              FLOAT32,
              redOp(op),
              MemorySegment.ofAddress(comm),
              MemorySegment.ofAddress(stream));
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  public int reduceScatter(
      long send, long recv, long recvCount, ReduceOp op, long comm, long stream) {
    try {
      return (int)
          reduceScatter.invokeExact(
              MemorySegment.ofAddress(send),
              MemorySegment.ofAddress(recv),
              recvCount,
              FLOAT32,
              redOp(op),
              MemorySegment.ofAddress(comm),
              MemorySegment.ofAddress(stream));
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  public int allGather(long send, long recv, long sendCount, long comm, long stream) {
    try {
      return (int)
          allGather.invokeExact(
              MemorySegment.ofAddress(send),
              MemorySegment.ofAddress(recv),
              sendCount,
              FLOAT32,
              MemorySegment.ofAddress(comm),
              MemorySegment.ofAddress(stream));
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  public int broadcast(long send, long recv, long count, int root, long comm, long stream) {
    try {
      return (int)
          broadcast.invokeExact(
              MemorySegment.ofAddress(send),
              MemorySegment.ofAddress(recv),
              count,
              FLOAT32,
              root,
              MemorySegment.ofAddress(comm),
              MemorySegment.ofAddress(stream));
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  public int groupStart() {
    try {
      return (int) groupStart.invokeExact();
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }

  public int groupEnd() {
    try {
      return (int) groupEnd.invokeExact();
    } catch (Throwable t) {
      throw Binder.rethrow(t);
    }
  }
}
