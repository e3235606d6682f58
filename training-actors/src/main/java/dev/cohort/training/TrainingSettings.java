package dev.cohort.training;

import com.typesafe.config.Config;
import dev.cohort.training.collective.Backend;
import java.time.Duration;

/**
 * The training module's settings, read from {@code cohort.training} (every key is commented in
 * {@code reference.conf}).
 *
 * @param backend the collective backend jobs use unless they name one
 * @param cpuSlots CPU workers a node without GPUs offers
 * @param gpus GPU workers a node offers when the nccl backend can run there: -1 for one per visible
 *     GPU, 0 for none (the node offers its CPU slots), n for at most n
 * @param computeThreads threads per CPU worker for the model's loops (already resolved, at least 1)
 * @param bucketCapMb default gradient bucket size in MiB
 * @param collectiveTimeout longest time one collective or one communicator set-up may take
 * @param chunkBytes ring backend: bytes of one pipelined segment
 * @param connectTimeout ring backend: how long connecting to the next rank may take
 * @param host ring backend: the address ring listeners bind to and advertise
 * @param socketBufferBytes ring backend: socket buffer size, 0 for the OS default
 * @param ncclLibraryPath configured path of libnccl.so.2 or its directory, empty to search
 * @param cudartPath configured path of libcudart or its directory, empty to search
 * @param openblasPath configured path of libopenblas.so.0 or its directory, empty to search
 * @param cublasPath configured path of libcublas.so.* or its directory, empty to search
 * @param ncclPollInterval how often waiting NCCL calls poll for completion or errors
 * @param rendezvousWait how long a rendezvous with at least workers.min workers waits for more
 * @param maxLossPoints how many (step, loss) points a job's status keeps
 * @param recruitInterval how often a gathering job asks worker pools again
 * @param wakeInterval how often each node wakes the coordinators of unfinished jobs
 * @param checkpointChunkBytes largest journal event one checkpoint chunk is written as
 * @param checkpointsKept how many committed checkpoints a job keeps (older ones are deleted)
 * @param checkpointTimeout longest time writing or reading one checkpoint may take
 * @param preferReplicas whether a new generation continues from a survivor's in-memory replica when
 *     it is newer than the last checkpoint (otherwise always from the checkpoint)
 * @param jobIndexSnapshotEvery events between snapshots of the job index
 * @param traceAllreduceEverySteps allreduce calls are spans in every step whose number is a
 *     multiple of this (0: never), so that a long job does not flood the tracing backend
 */
public record TrainingSettings(
    Backend backend,
    int cpuSlots,
    int gpus,
    int computeThreads,
    int bucketCapMb,
    Duration collectiveTimeout,
    int chunkBytes,
    Duration connectTimeout,
    String host,
    int socketBufferBytes,
    String ncclLibraryPath,
    String cudartPath,
    String openblasPath,
    String cublasPath,
    Duration ncclPollInterval,
    Duration rendezvousWait,
    int maxLossPoints,
    Duration recruitInterval,
    Duration wakeInterval,
    int checkpointChunkBytes,
    int checkpointsKept,
    Duration checkpointTimeout,
    boolean preferReplicas,
    int jobIndexSnapshotEvery,
    int traceAllreduceEverySteps) {

  public TrainingSettings {
    if (cpuSlots < 1) {
      throw new IllegalArgumentException(
          "cohort.training.cpu-slots must be at least 1, not " + cpuSlots);
    }
    if (gpus < -1) {
      throw new IllegalArgumentException(
          "cohort.training.gpus must be -1 (every visible GPU), 0 or a count, not " + gpus);
    }
    if (computeThreads < 1) {
      throw new IllegalArgumentException(
          "compute threads must be at least 1, not " + computeThreads);
    }
    if (bucketCapMb < 1) {
      throw new IllegalArgumentException(
          "cohort.training.bucket-cap-mb must be at least 1, not " + bucketCapMb);
    }
    // Segments carry whole float32 values: a segment boundary inside a float would make the
    // receiver reduce half a value.
    if (chunkBytes < 4 || chunkBytes % 4 != 0) {
      throw new IllegalArgumentException(
          "cohort.training.collective.chunk-bytes must be a positive multiple of 4, not "
              + chunkBytes);
    }
    if (maxLossPoints < 1) {
      throw new IllegalArgumentException(
          "cohort.training.coordinator.max-loss-points must be at least 1");
    }
    if (collectiveTimeout.isZero() || collectiveTimeout.isNegative()) {
      throw new IllegalArgumentException("cohort.training.collective.timeout must be positive");
    }
    if (checkpointChunkBytes < 1) {
      throw new IllegalArgumentException("cohort.training.checkpoint.chunk-bytes must be positive");
    }
    if (checkpointsKept < 1) {
      throw new IllegalArgumentException(
          "cohort.training.checkpoint.keep must be at least 1, not " + checkpointsKept);
    }
    if (checkpointTimeout.isZero()
        || checkpointTimeout.isNegative()
        || wakeInterval.isZero()
        || wakeInterval.isNegative()) {
      throw new IllegalArgumentException(
          "cohort.training.checkpoint.timeout and coordinator.wake-interval must be positive");
    }
    if (jobIndexSnapshotEvery < 1) {
      throw new IllegalArgumentException(
          "cohort.training.job-index.snapshot-every must be at least 1, not "
              + jobIndexSnapshotEvery);
    }
    if (traceAllreduceEverySteps < 0) {
      throw new IllegalArgumentException(
          "cohort.training.tracing.allreduce-every-steps must be 0 (none) or a step interval, not "
              + traceAllreduceEverySteps);
    }
  }

  public static TrainingSettings create(Config config) {
    Config c = config.getConfig("cohort.training");
    int cpuSlots = c.getInt("cpu-slots");
    int threads = c.getInt("compute-threads");
    if (threads == 0 && cpuSlots >= 1) { // cpu-slots < 1 is rejected by the constructor
      threads = Math.max(1, Runtime.getRuntime().availableProcessors() / cpuSlots);
    }
    return new TrainingSettings(
        Backend.parse(c.getString("backend")),
        cpuSlots,
        c.getInt("gpus"),
        threads,
        c.getInt("bucket-cap-mb"),
        c.getDuration("collective.timeout"),
        Math.toIntExact(c.getBytes("collective.chunk-bytes")),
        c.getDuration("collective.connect-timeout"),
        c.getString("collective.host"),
        Math.toIntExact(c.getBytes("collective.socket-buffer-bytes")),
        c.getString("nccl.library-path"),
        c.getString("nccl.cudart-path"),
        c.getString("openblas.library-path"),
        c.getString("cublas.library-path"),
        c.getDuration("nccl.poll-interval"),
        c.getDuration("coordinator.rendezvous-wait"),
        c.getInt("coordinator.max-loss-points"),
        c.getDuration("coordinator.recruit-interval"),
        c.getDuration("coordinator.wake-interval"),
        Math.toIntExact(c.getBytes("checkpoint.chunk-bytes")),
        c.getInt("checkpoint.keep"),
        c.getDuration("checkpoint.timeout"),
        c.getBoolean("recovery.prefer-replicas"),
        c.getInt("job-index.snapshot-every"),
        c.getInt("tracing.allreduce-every-steps"));
  }

  /** A copy with another collective timeout (tests and callers that bound one job tighter). */
  public TrainingSettings withCollectiveTimeout(Duration timeout) {
    return new TrainingSettings(
        backend,
        cpuSlots,
        gpus,
        computeThreads,
        bucketCapMb,
        timeout,
        chunkBytes,
        connectTimeout,
        host,
        socketBufferBytes,
        ncclLibraryPath,
        cudartPath,
        openblasPath,
        cublasPath,
        ncclPollInterval,
        rendezvousWait,
        maxLossPoints,
        recruitInterval,
        wakeInterval,
        checkpointChunkBytes,
        checkpointsKept,
        checkpointTimeout,
        preferReplicas,
        jobIndexSnapshotEvery,
        traceAllreduceEverySteps);
  }

  /** A copy with another ring segment size. */
  public TrainingSettings withChunkBytes(int bytes) {
    return new TrainingSettings(
        backend,
        cpuSlots,
        gpus,
        computeThreads,
        bucketCapMb,
        collectiveTimeout,
        bytes,
        connectTimeout,
        host,
        socketBufferBytes,
        ncclLibraryPath,
        cudartPath,
        openblasPath,
        cublasPath,
        ncclPollInterval,
        rendezvousWait,
        maxLossPoints,
        recruitInterval,
        wakeInterval,
        checkpointChunkBytes,
        checkpointsKept,
        checkpointTimeout,
        preferReplicas,
        jobIndexSnapshotEvery,
        traceAllreduceEverySteps);
  }

  /** A copy with another rendezvous wait. */
  public TrainingSettings withRendezvousWait(Duration wait) {
    return new TrainingSettings(
        backend,
        cpuSlots,
        gpus,
        computeThreads,
        bucketCapMb,
        collectiveTimeout,
        chunkBytes,
        connectTimeout,
        host,
        socketBufferBytes,
        ncclLibraryPath,
        cudartPath,
        openblasPath,
        cublasPath,
        ncclPollInterval,
        wait,
        maxLossPoints,
        recruitInterval,
        wakeInterval,
        checkpointChunkBytes,
        checkpointsKept,
        checkpointTimeout,
        preferReplicas,
        jobIndexSnapshotEvery,
        traceAllreduceEverySteps);
  }

  /** A copy with another NCCL library path. */
  public TrainingSettings withNcclLibraryPath(String path) {
    return new TrainingSettings(
        backend,
        cpuSlots,
        gpus,
        computeThreads,
        bucketCapMb,
        collectiveTimeout,
        chunkBytes,
        connectTimeout,
        host,
        socketBufferBytes,
        path,
        cudartPath,
        openblasPath,
        cublasPath,
        ncclPollInterval,
        rendezvousWait,
        maxLossPoints,
        recruitInterval,
        wakeInterval,
        checkpointChunkBytes,
        checkpointsKept,
        checkpointTimeout,
        preferReplicas,
        jobIndexSnapshotEvery,
        traceAllreduceEverySteps);
  }

  /** A copy that continues new generations from the last checkpoint only ({@code false}). */
  public TrainingSettings withPreferReplicas(boolean prefer) {
    return new TrainingSettings(
        backend,
        cpuSlots,
        gpus,
        computeThreads,
        bucketCapMb,
        collectiveTimeout,
        chunkBytes,
        connectTimeout,
        host,
        socketBufferBytes,
        ncclLibraryPath,
        cudartPath,
        openblasPath,
        cublasPath,
        ncclPollInterval,
        rendezvousWait,
        maxLossPoints,
        recruitInterval,
        wakeInterval,
        checkpointChunkBytes,
        checkpointsKept,
        checkpointTimeout,
        prefer,
        jobIndexSnapshotEvery,
        traceAllreduceEverySteps);
  }
}
