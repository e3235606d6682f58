package dev.cohort.persistence;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Confirms that an entity is still the only writer of its events, for answers it gives from memory
 * (a read) rather than through a journal write. On the shared journal a node that was paused or cut
 * off may still hold an entity that the rest of the cluster has already downed, moved and written
 * to; its memory is then stale. A journal write by the stale incarnation fails (a sequence number
 * is written once), but a read would not notice: so before such an answer goes out the entity asks
 * the journal for events after its own last one. None: no other incarnation has written, and the
 * answer was current when it was computed. Any: it must reload.
 *
 * <p>Only the shared journal needs this: a node-local journal ({@code file}, {@code h2}) belongs to
 * a cluster of one (see the cluster module's shared-journal rule), and an embedding application's
 * own journal plugin is its own choice. There {@link #enabled()} is false and entities answer at
 * once.
 */
public final class WriterFence {
  private final ActorSystem<?> system;
  private final JdbcReadJournal journal;
  private final Duration timeout;

  private WriterFence(ActorSystem<?> system, JdbcReadJournal journal, Duration timeout) {
    this.system = system;
    this.journal = journal;
    this.timeout = timeout;
  }

  /** The fence for this node's journal (disabled unless events live in the shared PostgreSQL). */
  public static WriterFence of(ActorSystem<?> system) {
    Config config = system.settings().config();
    PersistenceSettings settings = PersistenceSettings.create(config);
    boolean shared =
        config.getString("pekko.persistence.journal.plugin").equals("jdbc-journal")
            && settings.journal() == PersistenceSettings.Journal.POSTGRESQL;
    return new WriterFence(
        system,
        shared
            ? PersistenceQuery.get(system)
                .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier())
            : null,
        settings.probeTimeout());
  }

  public boolean enabled() {
    return journal != null;
  }

  /**
   * The highest sequence number the journal holds for {@code persistenceId} above {@code after}, or
   * {@code after} when there is none. Fails when the journal does not answer within {@code
   * cohort.persistence.probe-timeout}: a query to a database that went away can hang much longer,
   * and every read of the entity waits for it.
   */
  public CompletionStage<Long> highestAfter(String persistenceId, long after) {
    if (journal == null) {
      return CompletableFuture.completedFuture(after);
    }
    return AskStages.on(
            journal
                .currentEventsByPersistenceId(persistenceId, after + 1, Long.MAX_VALUE)
                .runWith(
                    Sink.fold(
                        after, (highest, envelope) -> Math.max(highest, envelope.sequenceNr())),
                    system),
            system.executionContext())
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
