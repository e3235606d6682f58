package dev.cohort.log.internal;

import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;

/**
 * Deletes a partition's journal events up to a completed snapshot and its older snapshots, so that
 * batches removed by retention or compaction leave the database (Pekko's count-based retention
 * keeps the last {@code snapshot-every} events, which would still hold them).
 *
 * <p>Safe because the snapshot at {@code snapshotSequenceNr} holds the whole state up to it; the
 * journal keeps its highest sequence number itself. Fire-and-forget: a failed deletion is retried
 * after the next snapshot. Thread-safe.
 */
final class JournalCleaner {
  private JournalCleaner() {}

  static void deleteBefore(ActorSystem<?> system, String persistenceId, long snapshotSequenceNr) {
    Persistence persistence = Persistence.get(Adapter.toClassic(system));
    var ignore = Adapter.toClassic(system.ignoreRef());
    persistence
        .journalFor("", ConfigFactory.empty())
        .tell(
            new JournalProtocol.DeleteMessagesTo(persistenceId, snapshotSequenceNr, ignore),
            ignore);
    persistence
        .snapshotStoreFor("", ConfigFactory.empty())
        .tell(
            new SnapshotProtocol.DeleteSnapshots(
                persistenceId,
                SnapshotSelectionCriteria.create(snapshotSequenceNr - 1, Long.MAX_VALUE)),
            ignore);
  }
}
