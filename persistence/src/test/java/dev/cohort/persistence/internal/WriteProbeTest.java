package dev.cohort.persistence.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.persistence.CohortException;
import dev.cohort.persistence.JournalError;
import dev.cohort.persistence.JournalWrites;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link JournalWrites}' states and the {@link WriteProbe} that ends a failure: a failure keeps
 * when it began, refuses writers with {@code journal_write_failed}, and ends when the probe can
 * write and sync its file; a log that could not restore its tail stays failed.
 */
class WriteProbeTest {
  private static final Duration INTERVAL = Duration.ofMillis(50);
  private final ActorTestKit kit = ActorTestKit.create();

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void aFailureKeepsItsStartRefusesWritersAndEndsWhenAWriteSucceeds() {
    JournalWrites writes = JournalWrites.get(kit.system());
    writes.requireWritable();
    writes.failed(new IOException("No space left on device"));
    Instant since = writes.failure().orElseThrow().since();
    writes.failed(new IOException("Input/output error"));
    assertEquals(since, writes.failure().orElseThrow().since());
    assertEquals("Input/output error", writes.failure().orElseThrow().reason());
    CohortException refused = assertThrows(CohortException.class, writes::requireWritable);
    assertTrue(refused.is(JournalError.JOURNAL_WRITE_FAILED), refused.code());
    assertEquals(503, refused.kind().httpStatus());
    assertTrue(refused.getMessage().contains("Input/output error"), refused.getMessage());
    writes.succeeded();
    assertTrue(writes.failure().isEmpty());
  }

  @Test
  void theProbeEndsTheFailureOnceItsFileReachesTheDisk() throws IOException {
    Path dir = Files.createTempDirectory("cohort-write-probe");
    JournalWrites writes = JournalWrites.get(kit.system());
    WriteProbe probe = probe(dir, writes, () -> false);
    probe.writeFailed(new IOException("No space left on device"));
    assertTrue(writes.failure().isPresent());
    await("the probe to end the failure", () -> writes.failure().isEmpty());
    assertTrue(Files.notExists(dir.resolve("write-probe")), "the probe left its file behind");
  }

  @Test
  void aBrokenLogStaysFailedWhateverTheDiskDoes() throws IOException {
    JournalWrites writes = JournalWrites.get(kit.system());
    AtomicBoolean broken = new AtomicBoolean(true);
    WriteProbe probe = probe(Files.createTempDirectory("cohort-write-probe"), writes, broken::get);
    probe.writeFailed(new IOException("journal tail could not be restored"));
    LockSupport.parkNanos(INTERVAL.multipliedBy(10).toNanos());
    assertTrue(writes.failure().isPresent(), "a broken log was reported writable");
    broken.set(false);
    await("the probe to end the failure once the log is whole", () -> writes.failure().isEmpty());
    probe.stop();
  }

  private WriteProbe probe(Path dir, JournalWrites writes, BooleanSupplier broken) {
    var classic = Adapter.toClassic(kit.system());
    return new WriteProbe(dir, INTERVAL, writes, broken, classic.scheduler(), classic.dispatcher());
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 10 s: " + what);
      }
      LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
    }
  }
}
