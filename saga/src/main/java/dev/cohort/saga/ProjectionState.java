package dev.cohort.saga;

import dev.cohort.persistence.CohortSerializable;

/** Where a projection stands. Written by ordinal: add only at the end. */
public enum ProjectionState implements CohortSerializable {
  /** Its runner consumes the topic and updates the view. */
  RUNNING,
  /** Stopped by an operator; {@code resume} continues from the committed offsets. */
  STOPPED,
  /** Stopped on an error that retrying cannot fix (see the reason); {@code rebuild} restarts it. */
  FAILED,
  /** Clearing its view and replaying the topic from the beginning; RUNNING once caught up. */
  REBUILDING
}
