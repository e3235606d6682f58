package dev.cohort.training.collective;

import dev.cohort.persistence.CohortSerializable;
import dev.cohort.training.TrainingError;
import java.util.Locale;

/** The collective backends. Written by ordinal in messages: add values only at the end. */
public enum Backend implements CohortSerializable {
  /** Choose {@link #NCCL} when a GPU and the libraries are usable, otherwise {@link #RING}. */
  AUTO,
  /** Reduce-scatter and all-gather around a ring of TCP connections, on CPU memory. */
  RING,
  /** NVIDIA NCCL on GPUs, bound through {@code java.lang.foreign}. */
  NCCL;

  /** Parses {@code auto}, {@code ring} or {@code nccl} (any case). */
  public static Backend parse(String name) {
    return switch (name.trim().toLowerCase(Locale.ROOT)) {
      case "auto" -> AUTO;
      case "ring" -> RING;
      case "nccl" -> NCCL;
      default ->
          throw TrainingError.UNKNOWN_BACKEND.exception(
              "backend must be one of auto, ring, nccl, not '" + name + "'");
    };
  }

  /** The lower-case name used in configuration, JSON and metric labels. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
