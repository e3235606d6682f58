package dev.cohort.training.compute;

/**
 * The compute a worker uses and why, for logs and the job's status.
 *
 * @param kind java, openblas or cublas, never auto
 * @param reason e.g. "auto: no GPU; OpenBLAS 0.3.21 ... at
 *     /usr/lib/x86_64-linux-gnu/libopenblas.so.0"
 */
public record ComputeChoice(ComputeKind kind, String reason) {}
