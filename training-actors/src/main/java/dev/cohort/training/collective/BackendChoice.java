package dev.cohort.training.collective;

/**
 * The backend a job's workers will use and why, for logs and the job's status.
 *
 * @param backend {@link Backend#RING} or {@link Backend#NCCL}, never {@link Backend#AUTO}
 * @param reason e.g. "auto: no usable GPU: cudaGetDeviceCount returned cudaErrorInsufficientDriver
 *     (35) ...; using ring"
 */
public record BackendChoice(Backend backend, String reason) {}
