package dev.cohort.training;

import dev.cohort.persistence.CohortSerializable;
import java.time.Instant;

/**
 * The manifest of one durable checkpoint of a job, as its coordinator recorded it after every chunk
 * was written: a checkpoint that has a manifest is complete, one without is never read.
 *
 * @param generation the generation whose rank 0 wrote it
 * @param epoch the epoch of the next step to run after loading it
 * @param step global steps completed when it was taken (training resumes with step + 1)
 * @param chunks journal events holding it, each at most {@code checkpoint.chunk-bytes}
 * @param bytes its encoded size
 * @param crc32 CRC-32 of the encoded bytes, checked when it is loaded
 * @param savedAt when the last chunk was durable
 */
public record CheckpointInfo(
    long generation, int epoch, long step, int chunks, long bytes, long crc32, Instant savedAt)
    implements CohortSerializable {}
