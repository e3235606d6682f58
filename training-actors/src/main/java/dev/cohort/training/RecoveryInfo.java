package dev.cohort.training;

import dev.cohort.persistence.CohortSerializable;
import java.time.Instant;

/**
 * One recovery of a job: a generation ended by a lost or failed worker, or by a restart of the
 * coordinator, and the generation that took over.
 *
 * @param generation the generation that resumed training (0 while it has not formed yet)
 * @param reason why the previous generation ended
 * @param startedAt when the coordinator noticed
 * @param durationMs from {@code startedAt} to the first step the new generation completed; -1 while
 *     the recovery is in progress
 * @param resumedFromStep the global step training continued after (0: from the start)
 * @param resumedFrom where the state came from: {@code checkpoint}, {@code replica} (a survivor's
 *     in-memory model, newer than the last checkpoint) or {@code start}
 */
public record RecoveryInfo(
    long generation,
    String reason,
    Instant startedAt,
    long durationMs,
    long resumedFromStep,
    String resumedFrom)
    implements CohortSerializable {

  public static final String FROM_CHECKPOINT = "checkpoint";
  public static final String FROM_REPLICA = "replica";
  public static final String FROM_START = "start";

  public boolean inProgress() {
    return durationMs < 0;
  }
}
