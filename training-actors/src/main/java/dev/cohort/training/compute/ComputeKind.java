package dev.cohort.training.compute;

import dev.cohort.persistence.CohortSerializable;
import dev.cohort.training.TrainingError;
import java.util.Locale;

/**
 * Where a worker does the model's arithmetic. Written by ordinal in messages: add values only at
 * the end.
 */
public enum ComputeKind implements CohortSerializable {
  /** {@link #CUBLAS} where the worker has a GPU and NCCL, else {@link #OPENBLAS} where it loads. */
  AUTO,
  /** Plain Java loops on heap arrays: the reference the others are tested against. */
  JAVA,
  /** OpenBLAS's {@code cblas_sgemm} on off-heap memory, through {@code java.lang.foreign}. */
  OPENBLAS,
  /** cuBLAS and the CUDA runtime on device memory, through {@code java.lang.foreign}. */
  CUBLAS;

  /** Parses {@code auto}, {@code java}, {@code openblas} or {@code cublas} (any case). */
  public static ComputeKind parse(String name) {
    return switch (name.trim().toLowerCase(Locale.ROOT)) {
      case "auto" -> AUTO;
      case "java" -> JAVA;
      case "openblas" -> OPENBLAS;
      case "cublas" -> CUBLAS;
      default ->
          throw TrainingError.UNKNOWN_COMPUTE.exception(
              "compute must be one of auto, java, openblas, cublas, not '" + name + "'");
    };
  }

  /** The lower-case name used in configuration, JSON and logs. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
