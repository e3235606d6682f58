package dev.cohort.persistence;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the node's embedded journal is taking writes, as a Pekko extension (one per actor
 * system): the file journal reports each write's outcome and its write probe's, readiness and the
 * gateway read it.
 *
 * <p>Invariant: the state is failing from the first failed write until a later write or probe
 * succeeded; the failure keeps the time it began and the latest reason. A journal that never failed
 * (and the JDBC journals, which report nothing here: their outages show in the readiness probe's
 * connection check) is always writable. Thread-safe: the journal's writer thread, its probe and
 * request threads use it at once.
 */
public final class JournalWrites implements Extension {
  private static final Logger log = LoggerFactory.getLogger(JournalWrites.class);

  private static final ExtensionId<JournalWrites> ID =
      new ExtensionId<>() {
        @Override
        public JournalWrites createExtension(ActorSystem<?> system) {
          return new JournalWrites();
        }
      };

  /**
   * Writes are failing.
   *
   * @param since when the first write of this failure failed
   * @param reason the latest failure's message, e.g. "No space left on device"
   */
  public record Failure(Instant since, String reason) {}

  private final AtomicReference<Failure> failure = new AtomicReference<>();

  private JournalWrites() {}

  public static JournalWrites get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** Empty while writes succeed; the failure while the journal is refusing them. */
  public Optional<Failure> failure() {
    return Optional.ofNullable(failure.get());
  }

  /**
   * Refuses a write up front while the journal is failing, so that the writer gets a clear answer
   * at once instead of a timeout whose outcome is unknown.
   *
   * @throws CohortException {@link JournalError#JOURNAL_WRITE_FAILED} naming the reason
   */
  public void requireWritable() {
    Failure current = failure.get();
    if (current != null) {
      throw new CohortException(JournalError.JOURNAL_WRITE_FAILED, describe(current));
    }
  }

  /** The message writers get while {@code failure} lasts. */
  public static String describe(Failure failure) {
    return "the journal's writes are failing since "
        + failure.since()
        + " ("
        + failure.reason()
        + "); nothing is written until it takes writes again (GET /health/ready tells)";
  }

  /** Reported by the journal: a write (or its probe) failed with {@code cause}. */
  public void failed(Throwable cause) {
    String reason = String.valueOf(cause.getMessage());
    Failure previous =
        failure.getAndUpdate(
            current -> new Failure(current == null ? Instant.now() : current.since(), reason));
    if (previous == null) {
      log.error("journal writes are failing ({}); the node reports not ready", reason, cause);
    }
  }

  /** Reported by the journal: a write (or its probe) reached the disk. */
  public void succeeded() {
    Failure previous = failure.getAndSet(null);
    if (previous != null) {
      log.info("journal writes succeed again after failing since {}", previous.since());
    }
  }
}
