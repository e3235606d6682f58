package dev.cohort.log;

import dev.cohort.persistence.CohortSerializable;

/** A committed position: the offset of the next record to consume, and optional metadata. */
public record OffsetAndMetadata(long offset, String metadata) implements CohortSerializable {
  public OffsetAndMetadata {
    metadata = metadata == null ? "" : metadata;
  }

  public static OffsetAndMetadata of(long offset) {
    return new OffsetAndMetadata(offset, "");
  }
}
