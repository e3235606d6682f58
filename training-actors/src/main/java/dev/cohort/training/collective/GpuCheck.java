package dev.cohort.training.collective;

import com.typesafe.config.ConfigFactory;
import dev.cohort.training.DataParallelTrainer;
import dev.cohort.training.DatasetSource;
import dev.cohort.training.JobStatus;
import dev.cohort.training.Mlp;
import dev.cohort.training.MlpSpec;
import dev.cohort.training.Optimizer;
import dev.cohort.training.OptimizerSpec;
import dev.cohort.training.SyntheticDataset;
import dev.cohort.training.TrainingData;
import dev.cohort.training.TrainingJobSpec;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.internal.CudaRuntime;
import dev.cohort.training.internal.Nccl;
import dev.cohort.training.internal.NcclCommunicator;
import dev.cohort.training.internal.NcclProbe;
import dev.cohort.training.internal.TrainingCoordinator;
import dev.cohort.training.internal.TrainingWorker;
import dev.cohort.training.internal.WorkerDevice;
import dev.cohort.training.internal.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The entry point of {@code training-actors/gpu-check.sh}: checks the nccl backend on this machine
 * and prints one line per check.
 *
 * <p>CPU side (always): libcudart and libnccl.so.2 load, NCCL's version, a unique id, the auto
 * choice; without a GPU also a job asking for nccl through the real worker path (a node's worker
 * pool, the coordinator, its workers), which must end FAILED naming why. GPU side (only where the
 * CUDA runtime sees a GPU): a 1-rank allreduce on device buffers, verified; a 2-rank allreduce on
 * one GPU where NCCL ≥ 2.30 allows it ({@code NCCL_MULTI_RANK_GPU_ENABLE=1}); algbw and busbw
 * (nccl-tests definitions) for 1 MB to 1 GB; a short data-parallel run of {@link
 * DataParallelTrainer} on nccl communicators (identical replicas); and a short training job on the
 * nccl backend through the coordinator and worker actors (rendezvous of the NCCL unique id through
 * actor messages, one worker per rank on GPU 0); then the cublas compute ({@link CublasGpuCheck}):
 * agreement with the java reference and a SimpleModel job on cublas + nccl with its samples/s. Exit
 * status 0 when every check that could run passed, 1 otherwise.
 *
 * <p>The jobs run in an actor system of this process with Pekko's in-memory journal: nothing is
 * written to disk, and checkpoints are not what is checked here.
 */
public final class GpuCheck {
  private static final long MB = 1L << 20;
  private static final long[] SIZES = {MB, 4 * MB, 16 * MB, 64 * MB, 256 * MB, 1024 * MB};

  private GpuCheck() {}

  public static void main(String[] args) {
    TrainingSettings settings = TrainingSettings.create(ConfigFactory.load());
    boolean ok = run(settings);
    System.out.println(ok ? "gpu-check: PASS" : "gpu-check: FAIL");
    System.exit(ok ? 0 : 1);
  }

  static boolean run(TrainingSettings settings) {
    NcclProbe probe = NcclProbe.run(settings);
    if (probe.cudart().isEmpty()) {
      System.out.println("check=cudart result=FAIL reason=\"" + probe.reason() + "\"");
      return false;
    }
    CudaRuntime cuda = probe.cudart().get();
    System.out.println(
        "check=cudart result=ok path="
            + cuda.path()
            + " runtime_version="
            + cuda.runtimeVersion()
            + " driver_version="
            + cuda.driverVersion());
    if (probe.nccl().isEmpty()) {
      System.out.println("check=nccl_load result=FAIL reason=\"" + probe.reason() + "\"");
      return false;
    }
    Nccl nccl = probe.nccl().get();
    int version = nccl.version();
    System.out.println(
        "check=nccl_load result=ok path="
            + nccl.path()
            + " version="
            + Nccl.versionString(version)
            + " code="
            + version);
    byte[] id = new byte[NcclRendezvous.UNIQUE_ID_BYTES];
    int rc = nccl.getUniqueId(id);
    System.out.println(
        "check=nccl_unique_id result="
            + (rc == 0 ? "ok bytes=" + id.length : "FAIL " + nccl.describe(rc, 0)));
    if (rc != 0) {
      return false;
    }
    BackendChoice auto = Communicators.chooseBackend(Backend.AUTO, settings);
    System.out.println(
        "check=backend_auto result=ok chose="
            + auto.backend().id()
            + " reason=\""
            + auto.reason()
            + "\"");
    if (!probe.usable()) {
      boolean failsClearly = ncclJobWithoutGpu(settings, probe);
      System.out.println("GPU checks SKIPPED: " + probe.reason());
      return failsClearly;
    }
    boolean ok = true;
    try {
      ok &= oneRank(nccl, cuda, settings);
      boolean multi = version >= 23000 && "1".equals(System.getenv("NCCL_MULTI_RANK_GPU_ENABLE"));
      if (multi) {
        ok &= twoRanksOneGpu(nccl, cuda, settings);
      } else {
        System.out.println(
            "check=nccl_allreduce_2ranks result=SKIPPED reason=\"needs NCCL >= 2.30 and "
                + "NCCL_MULTI_RANK_GPU_ENABLE=1 to put two ranks on one GPU\"");
      }
      ok &= training(nccl, cuda, settings, multi ? 2 : 1);
      ok &= trainingJob(settings, probe, multi ? 2 : 1);
      ok &= CublasGpuCheck.agreement(settings);
      ok &= CublasGpuCheck.trainingJob(settings, probe, multi ? 2 : 1);
    } catch (RuntimeException e) {
      System.out.println("check=gpu result=FAIL error=\"" + e + "\"");
      return false;
    }
    return ok;
  }

  private static List<NcclCommunicator> communicators(
      Nccl nccl, CudaRuntime cuda, TrainingSettings settings, int ranks) {
    byte[] id = new byte[NcclRendezvous.UNIQUE_ID_BYTES];
    if (nccl.getUniqueId(id) != 0) {
      throw new IllegalStateException("ncclGetUniqueId failed");
    }
    List<CompletableFuture<NcclCommunicator>> joins = new ArrayList<>();
    for (int r = 0; r < ranks; r++) {
      NcclRendezvous rendezvous = new NcclRendezvous(r, ranks, id, 0);
      // Every rank initialises concurrently: init completes only when all ranks joined.
      joins.add(
          CompletableFuture.supplyAsync(
              () -> NcclCommunicator.create(nccl, cuda, rendezvous, settings),
              Thread::startVirtualThread));
    }
    return joins.stream().map(CompletableFuture::join).toList();
  }

  private static boolean oneRank(Nccl nccl, CudaRuntime cuda, TrainingSettings settings) {
    List<NcclCommunicator> comms = communicators(nccl, cuda, settings, 1);
    try {
      boolean ok = verifyAllReduce(comms, 1_000_003);
      System.out.println(
          "check=nccl_allreduce_1rank result=" + (ok ? "ok" : "FAIL") + " elements=1000003");
      ok &= bandwidth(comms);
      return ok;
    } finally {
      comms.forEach(NcclCommunicator::close);
    }
  }

  private static boolean twoRanksOneGpu(Nccl nccl, CudaRuntime cuda, TrainingSettings settings) {
    List<NcclCommunicator> comms = communicators(nccl, cuda, settings, 2);
    try {
      boolean ok = verifyAllReduce(comms, 1_000_003);
      System.out.println(
          "check=nccl_allreduce_2ranks result=" + (ok ? "ok" : "FAIL") + " elements=1000003");
      ok &= bandwidth(comms);
      return ok;
    } finally {
      comms.forEach(NcclCommunicator::close);
    }
  }

  /**
   * Rank r contributes (r+1)·(i mod 7): the SUM is known exactly in float32; AVG on the host path.
   */
  private static boolean verifyAllReduce(List<NcclCommunicator> comms, int count) {
    int n = comms.size();
    try (Arena arena = Arena.ofShared()) {
      List<CompletableFuture<Void>> runs = new ArrayList<>();
      List<MemorySegment> hosts = new ArrayList<>();
      List<MemorySegment> avg = new ArrayList<>();
      List<Long> devices = new ArrayList<>();
      for (NcclCommunicator c : comms) {
        MemorySegment host = arena.allocate(count * 4L, 64);
        MemorySegment a = arena.allocate(count * 4L, 64);
        for (int i = 0; i < count; i++) {
          host.setAtIndex(ValueLayout.JAVA_FLOAT, i, (c.rank() + 1) * (i % 7));
          a.setAtIndex(ValueLayout.JAVA_FLOAT, i, (c.rank() + 1) * (i % 7));
        }
        long dev = c.allocateDevice(count * 4L).toCompletableFuture().join();
        c.copyToDevice(host, dev).toCompletableFuture().join();
        hosts.add(host);
        avg.add(a);
        devices.add(dev);
      }
      for (int r = 0; r < n; r++) {
        runs.add(
            comms
                .get(r)
                .allReduceDevice(devices.get(r), devices.get(r), count, ReduceOp.SUM)
                .toCompletableFuture());
        runs.add(comms.get(r).allReduce(avg.get(r), ReduceOp.AVG).toCompletableFuture());
      }
      runs.forEach(f -> f.orTimeout(120, TimeUnit.SECONDS).join());
      float factor = n * (n + 1) / 2f;
      boolean ok = true;
      for (int r = 0; r < n; r++) {
        comms.get(r).copyToHost(devices.get(r), hosts.get(r)).toCompletableFuture().join();
        comms.get(r).freeDevice(devices.get(r)).toCompletableFuture().join();
        for (int i = 0; i < count; i++) {
          float sum = hosts.get(r).getAtIndex(ValueLayout.JAVA_FLOAT, i);
          float mean = avg.get(r).getAtIndex(ValueLayout.JAVA_FLOAT, i);
          if (sum != factor * (i % 7)
              || Math.abs(mean - factor * (i % 7) / n) > 1e-5f * (1 + Math.abs(mean))) {
            System.out.println(
                "mismatch rank=" + r + " index=" + i + " sum=" + sum + " avg=" + mean);
            ok = false;
            break;
          }
        }
      }
      return ok;
    }
  }

  /** nccl-tests style: algbw = bytes / time, busbw = algbw · 2(n−1)/n. */
  private static boolean bandwidth(List<NcclCommunicator> comms) {
    int n = comms.size();
    long[] send = new long[n];
    long[] recv = new long[n];
    long maxBytes = SIZES[SIZES.length - 1];
    for (int r = 0; r < n; r++) {
      send[r] = comms.get(r).allocateDevice(maxBytes).toCompletableFuture().join();
      recv[r] = comms.get(r).allocateDevice(maxBytes).toCompletableFuture().join();
    }
    try {
      for (long bytes : SIZES) {
        long count = bytes / 4;
        int iterations = bytes >= 256 * MB ? 5 : 20;
        timed(comms, send, recv, count, 2); // warm-up: connections, buffers, kernels
        long start = System.nanoTime();
        timed(comms, send, recv, count, iterations);
        double seconds = (System.nanoTime() - start) / 1e9 / iterations;
        double algbw = bytes / seconds / 1e9;
        double busbw = algbw * 2.0 * (n - 1) / n;
        System.out.println(
            String.format(
                Locale.ROOT,
                "bench=nccl_allreduce ranks=%d bytes=%d time_us=%.1f algbw_gbps=%.2f busbw_gbps=%.2f",
                n,
                bytes,
                seconds * 1e6,
                algbw,
                busbw));
      }
      return true;
    } finally {
      for (int r = 0; r < n; r++) {
        comms.get(r).freeDevice(send[r]).toCompletableFuture().join();
        comms.get(r).freeDevice(recv[r]).toCompletableFuture().join();
      }
    }
  }

  private static void timed(
      List<NcclCommunicator> comms, long[] send, long[] recv, long count, int iterations) {
    List<CompletableFuture<Void>> runs = new ArrayList<>();
    for (int r = 0; r < comms.size(); r++) {
      runs.add(
          comms
              .get(r)
              .allReduceDevice(send[r], recv[r], count, ReduceOp.SUM, iterations)
              .toCompletableFuture());
    }
    runs.forEach(f -> f.orTimeout(120, TimeUnit.SECONDS).join());
  }

  /** A short data-parallel run on the nccl backend (host gradients staged through the GPU). */
  private static boolean training(
      Nccl nccl, CudaRuntime cuda, TrainingSettings settings, int ranks) {
    MlpSpec spec = MlpSpec.of(16, 64, 4);
    TrainingData data = TrainingData.decode(SyntheticDataset.records(2048, 16, 4, 1), 16, 4);
    List<NcclCommunicator> comms = communicators(nccl, cuda, settings, ranks);
    try {
      List<CompletableFuture<double[]>> workers = new ArrayList<>();
      for (NcclCommunicator c : comms) {
        workers.add(
            CompletableFuture.supplyAsync(
                () -> {
                  Mlp model = Mlp.create(spec, 5, 1);
                  try (DataParallelTrainer t =
                      DataParallelTrainer.create(
                          c,
                          model,
                          Optimizer.adam(0.01f, spec.parameterCount()),
                          data,
                          32,
                          2048,
                          5)) {
                    t.broadcastParameters();
                    double first = t.step().loss();
                    double last = first;
                    while (t.epoch() < 3) {
                      last = t.step().loss();
                    }
                    // The checksum's bits travel in a double unchanged (compared as bits below).
                    return new double[] {first, last, Double.longBitsToDouble(model.checksum())};
                  }
                },
                Thread::startVirtualThread));
      }
      List<double[]> results =
          workers.stream().map(w -> w.orTimeout(240, TimeUnit.SECONDS).join()).toList();
      boolean same =
          results.stream()
              .allMatch(
                  r ->
                      Double.doubleToRawLongBits(r[2])
                          == Double.doubleToRawLongBits(results.getFirst()[2]));
      boolean learned = results.getFirst()[1] < results.getFirst()[0] / 2;
      System.out.println(
          String.format(
              Locale.ROOT,
              "check=nccl_training ranks=%d result=%s loss_start=%.4f loss_end=%.4f identical_replicas=%s",
              ranks,
              same && learned ? "ok" : "FAIL",
              results.getFirst()[0],
              results.getFirst()[1],
              same));
      return same && learned;
    } finally {
      comms.forEach(NcclCommunicator::close);
    }
  }

  // The real worker path ------------------------------------------------------------------------

  private static final DatasetSource SYNTHETIC =
      topic -> CompletableFuture.completedFuture(SyntheticDataset.records(2048, 16, 4, 1));

  private static TrainingJobSpec jobSpec(String name, int ranks) {
    return new TrainingJobSpec(
        name,
        MlpSpec.of(16, 64, 4),
        "synthetic",
        ranks,
        ranks,
        Backend.NCCL,
        3,
        32,
        new OptimizerSpec("adam", 0.01f, 0f),
        5,
        1000,
        1);
  }

  /**
   * Submits {@code spec} to a coordinator of its own in a fresh actor system and waits until the
   * job ended; {@code pool} first starts a worker pool there, {@code startWorkers} then spawns
   * workers for the coordinator.
   */
  static JobStatus runJob(
      TrainingSettings settings,
      TrainingJobSpec spec,
      Duration max,
      boolean pool,
      BiConsumer<ActorSystem<Void>, ActorRef<TrainingCoordinator.Command>> startWorkers)
      throws Exception {
    ActorSystem<Void> system =
        ActorSystem.create(
            Behaviors.empty(),
            "gpu-check",
            ConfigFactory.parseString(
                    "pekko.actor.provider = local\n"
                        + "pekko.loglevel = WARNING\n"
                        + "pekko.persistence.journal.plugin = \"pekko.persistence.journal.inmem\"\n"
                        + "pekko.persistence.snapshot-store.plugin = \"pekko.persistence.snapshot-store.local\"\n"
                        + "pekko.persistence.snapshot-store.local.dir = \""
                        + Files.createTempDirectory("gpu-check")
                        + "\"\n")
                .withFallback(ConfigFactory.load()));
    try {
      if (pool) {
        // Before the coordinator: its first recruitment finds the pool (else the next, 5 s later).
        system.systemActorOf(WorkerPool.create(SYNTHETIC, settings), "pool", Props.empty());
      }
      ActorRef<TrainingCoordinator.Command> coordinator =
          system.systemActorOf(
              TrainingCoordinator.create(spec.name(), settings), "coordinator", Props.empty());
      ask(system, coordinator, r -> new TrainingCoordinator.Submit(spec, r));
      startWorkers.accept(system, coordinator);
      long deadline = System.nanoTime() + max.toNanos();
      while (true) {
        JobStatus s = ask(system, coordinator, TrainingCoordinator.Get::new);
        if (s.phase().ended() || System.nanoTime() > deadline) {
          return s;
        }
        Thread.sleep(200); // polling the job's status until it ended or the deadline passed
      }
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static JobStatus ask(
      ActorSystem<Void> system,
      ActorRef<TrainingCoordinator.Command> coordinator,
      org.apache.pekko.japi.function.Function<
              ActorRef<TrainingCoordinator.Reply>, TrainingCoordinator.Command>
          message)
      throws Exception {
    TrainingCoordinator.Reply reply =
        AskPattern.ask(coordinator, message, Duration.ofSeconds(10), system.scheduler())
            .toCompletableFuture()
            .get(15, TimeUnit.SECONDS);
    return switch (reply) {
      case TrainingCoordinator.Answer answer -> answer.status();
      case TrainingCoordinator.Rejected rejected -> throw rejected.rejection().toException();
    };
  }

  /**
   * Without a usable GPU: this node's worker pool offers CPU workers, and a job asking for nccl
   * must end FAILED naming the probe's reason (not hang in its rendezvous).
   */
  private static boolean ncclJobWithoutGpu(TrainingSettings settings, NcclProbe probe) {
    try {
      JobStatus s =
          runJob(
              settings.withRendezvousWait(Duration.ofMillis(300)),
              jobSpec("gpu-check-no-gpu", 1),
              Duration.ofSeconds(60),
              true,
              (system, coordinator) -> {});
      return ncclJobWithoutGpuResult(s, probe);
    } catch (Exception e) {
      System.out.println("check=nccl_job_without_gpu result=FAIL error=\"" + e + "\"");
      return false;
    }
  }

  private static boolean ncclJobWithoutGpuResult(JobStatus s, NcclProbe probe) {
    String reason = s.reason().orElse("");
    boolean ok =
        s.phase() == dev.cohort.training.JobPhase.FAILED
            && reason.contains("backend_unavailable")
            && reason.contains(probe.reason());
    System.out.println(
        "check=nccl_job_without_gpu result="
            + (ok ? "ok" : "FAIL")
            + " state="
            + s.phase()
            + " reason=\""
            + reason
            + "\"");
    return ok;
  }

  /**
   * A short job on the nccl backend through the coordinator and {@code ranks} worker actors on GPU
   * 0: rank 0 creates the unique id, the coordinator hands it to every rank, each rank's
   * communicator stages the CPU model's gradient buckets through the GPU.
   */
  private static boolean trainingJob(TrainingSettings settings, NcclProbe probe, int ranks) {
    try {
      JobStatus s =
          runJob(
              settings.withRendezvousWait(Duration.ofMillis(300)),
              jobSpec("gpu-check-job", ranks),
              Duration.ofSeconds(120),
              false,
              (system, coordinator) -> {
                for (int r = 0; r < ranks; r++) {
                  String id = "gpu-check-worker-" + r;
                  system.systemActorOf(
                      TrainingWorker.create(
                          id,
                          coordinator,
                          SYNTHETIC,
                          settings,
                          new WorkerDevice(0, probe.reason())),
                      id,
                      Props.empty());
                }
              });
      boolean completed =
          s.phase() == dev.cohort.training.JobPhase.COMPLETED && !s.losses().isEmpty();
      double first = completed ? s.losses().getFirst().loss() : Double.NaN;
      double last = completed ? s.losses().getLast().loss() : Double.NaN;
      boolean onNccl =
          s.workers().size() == ranks
              && s.workers().stream().allMatch(w -> w.backend().equals("nccl"));
      boolean ok = completed && onNccl && last < first / 2;
      System.out.println(
          String.format(
              Locale.ROOT,
              "check=nccl_training_job ranks=%d result=%s state=%s steps=%d loss_start=%.4f loss_end=%.4f workers=%s reason=\"%s\"",
              ranks,
              ok ? "ok" : "FAIL",
              s.phase(),
              s.step(),
              first,
              last,
              s.workers(),
              s.reason().orElse("")));
      return ok;
    } catch (Exception e) {
      System.out.println("check=nccl_training_job result=FAIL error=\"" + e + "\"");
      return false;
    }
  }
}
