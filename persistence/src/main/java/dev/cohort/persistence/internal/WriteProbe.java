package dev.cohort.persistence.internal;

import dev.cohort.persistence.JournalWrites;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.Scheduler;
import scala.concurrent.ExecutionContext;

/**
 * Finds out when a file journal whose writes failed can write again, so that readiness recovers
 * without waiting for a client to risk a write: while {@link JournalWrites} reports a failure, it
 * writes {@link #PROBE_BYTES} to a probe file next to the segments every interval, forces them to
 * disk and deletes the file; the first success reports the journal writable again and stops it.
 *
 * <p>The probe file is not a segment (recovery only reads {@code NNN.log} files) and is never left
 * behind by a successful probe. A log whose tail could not be restored after a failed write stays
 * failed whatever the disk does: {@code logBroken} says so and the probe never reports success.
 * Invariant: at most one probe schedule runs at a time. Thread-safe.
 */
final class WriteProbe {
  /** Enough to hold a few ordinary journal records: a disk with less free is not writable. */
  static final int PROBE_BYTES = 64 * 1024;

  private final Path file;
  private final Duration interval;
  private final JournalWrites writes;
  private final BooleanSupplier logBroken;
  private final Scheduler scheduler;
  private final ExecutionContext blocking;
  private final AtomicReference<Cancellable> running = new AtomicReference<>();

  WriteProbe(
      Path directory,
      Duration interval,
      JournalWrites writes,
      BooleanSupplier logBroken,
      Scheduler scheduler,
      ExecutionContext blocking) {
    this.file = directory.resolve("write-probe");
    this.interval = interval;
    this.writes = writes;
    this.logBroken = logBroken;
    this.scheduler = scheduler;
    this.blocking = blocking;
  }

  /** A journal write failed: report it and probe until the disk takes writes again. */
  void writeFailed(Throwable cause) {
    writes.failed(cause);
    if (running.get() == null) {
      Cancellable schedule =
          scheduler.scheduleWithFixedDelay(interval, interval, this::probe, blocking);
      if (!running.compareAndSet(null, schedule)) {
        schedule.cancel();
      }
    }
  }

  /** A journal write reached the disk. */
  void writeSucceeded() {
    writes.succeeded();
  }

  /** Stops probing (the journal is closing). */
  void stop() {
    Cancellable schedule = running.getAndSet(null);
    if (schedule != null) {
      schedule.cancel();
    }
  }

  private void probe() {
    if (writes.failure().isEmpty()) {
      stop();
      return;
    }
    if (logBroken.getAsBoolean()) {
      return;
    }
    try {
      try (FileChannel channel =
          FileChannel.open(
              file,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer bytes = ByteBuffer.allocate(PROBE_BYTES);
        while (bytes.hasRemaining()) {
          channel.write(bytes);
        }
        channel.force(true);
      }
      Files.delete(file);
      stop();
      writes.succeeded();
    } catch (IOException e) {
      deleteQuietly();
      writes.failed(e);
    }
  }

  private void deleteQuietly() {
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // The next probe truncates and rewrites it; a full disk's probe file is what it frees.
    }
  }
}
