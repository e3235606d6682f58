package dev.cohort.persistence.internal;

import com.typesafe.config.Config;
import dev.cohort.observability.Metrics;
import dev.cohort.persistence.JournalWrites;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.persistence.journal.japi.AsyncWriteJournal;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import scala.concurrent.ExecutionContextExecutor;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * The embedded journal: a Pekko journal plugin over Cohort's append-only {@link SegmentLog} in the
 * node's data directory, with group commit and an {@code fdatasync} before any write is
 * acknowledged. Configured as {@code cohort-file-journal} (see {@code reference.conf}); one node
 * only, like any local file.
 *
 * <p>Each event is stored as Pekko's serialized {@link PersistentRepr} (payload through the
 * configured serializer, plus sequence number, writer and manifest), so that replay gives back
 * exactly what was written. Event tags are dropped: nothing in Cohort reads events by tag.
 */
public final class FileJournal extends AsyncWriteJournal {
  private static final double[] RECORD_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256};

  private final Path directory;
  private final long segmentBytes;
  private final Serializer reprSerializer;
  private final ExecutionContextExecutor reads;
  private final Duration probeInterval;

  /** Set in preStart; volatile because the metrics scrape reads it from another thread. */
  private volatile SegmentLog log;

  private Counter errors;

  /** Reports each write's outcome to {@link JournalWrites} and probes the disk after a failure. */
  private WriteProbe probe;

  public FileJournal(Config config) throws IOException {
    String configured = config.getString("directory");
    if (configured.isEmpty()) {
      throw new IllegalArgumentException(
          "cohort-file-journal.directory is empty; set cohort.persistence.file.directory or"
              + " cohort.node.data-dir and start the node through NodeConfig");
    }
    directory = Path.of(configured).toAbsolutePath();
    segmentBytes = config.getBytes("segment-size");
    reprSerializer =
        SerializationExtension.get(context().system()).serializerFor(PersistentRepr.class);
    reads = context().system().dispatchers().lookup(config.getString("replay-dispatcher"));
    probeInterval =
        context()
            .system()
            .settings()
            .config()
            .getDuration("cohort.persistence.file.write-probe-interval");
  }

  @Override
  public void preStart() throws Exception {
    Metrics metrics = Metrics.get(Adapter.toTyped(context().system()));
    Histogram records =
        metrics.histogram(
            "cohort_journal_commit_records",
            "atomic writes made durable by one write and fdatasync of the embedded journal",
            RECORD_BUCKETS);
    Histogram seconds =
        metrics.histogram(
            "cohort_journal_commit_seconds",
            "time of one write and fdatasync of the embedded journal",
            Metrics.LATENCY_BUCKETS_SECONDS);
    errors =
        metrics.counter(
            "cohort_journal_errors",
            "writes and replays of the embedded journal that failed with an I/O or other error"
                + " (a failed write stops the entity that made it; a failed replay keeps it down)",
            "op");
    // Both series exist from the start (at zero), so that increase() sees the first error.
    errors.labelValues("write");
    errors.labelValues("replay");
    metrics.gauge(
        "cohort_journal_disk_free_bytes",
        "bytes usable on the file system that holds the embedded journal",
        sink -> sink.set(directory.toFile().getUsableSpace()));
    metrics.gauge(
        "cohort_journal_disk_size_bytes",
        "size of the file system that holds the embedded journal",
        sink -> sink.set(directory.toFile().getTotalSpace()));
    metrics.gauge(
        "cohort_journal_bytes",
        "bytes in the embedded journal's segment files (never reclaimed: no entity deletes events)",
        sink -> {
          SegmentLog current = log;
          if (current != null) {
            try {
              sink.set(current.sizeBytes());
            } catch (IOException e) {
              // A scrape must not fail on the journal: leave the gauge out this time.
            }
          }
        });
    log =
        SegmentLog.open(
            directory,
            segmentBytes,
            (count, bytes, nanos) -> {
              records.observe(count);
              seconds.observe(nanos / 1e9);
            });
    SegmentLog current = log;
    probe =
        new WriteProbe(
            directory,
            probeInterval,
            JournalWrites.get(Adapter.toTyped(context().system())),
            current::broken,
            context().system().scheduler(),
            reads);
    SegmentLog.Recovery recovery = log.recovery();
    if (recovery.truncatedBytes() > 0) {
      context()
          .system()
          .log()
          .warning(
              "Journal in {}: cut off {} bytes of a write torn at the end of the log (it was never"
                  + " acknowledged); {} records kept",
              directory,
              recovery.truncatedBytes(),
              recovery.records());
    }
    super.preStart();
  }

  @Override
  public void postStop() throws Exception {
    if (probe != null) {
      probe.stop();
    }
    if (log != null) {
      log.close();
    }
    super.postStop();
  }

  @Override
  public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(
      Iterable<AtomicWrite> messages) {
    List<SegmentLog.Append> appends = new ArrayList<>();
    List<Optional<Exception>> results = new ArrayList<>();
    long now = System.currentTimeMillis();
    for (AtomicWrite write : messages) {
      try {
        List<byte[]> events = new ArrayList<>(write.size());
        for (PersistentRepr repr : CollectionConverters.asJava(write.payload())) {
          PersistentRepr stored =
              repr.payload() instanceof Tagged tagged ? repr.withPayload(tagged.payload()) : repr;
          if (stored.timestamp() == 0) {
            stored = stored.withTimestamp(now);
          }
          events.add(reprSerializer.toBinary(stored));
        }
        appends.add(new SegmentLog.Append(write.persistenceId(), write.lowestSequenceNr(), events));
        results.add(Optional.empty());
      } catch (RuntimeException e) {
        // Pekko's contract: a write that cannot be serialized is rejected alone (the entity gets
        // a rejection and keeps running); the others in the batch are still written.
        results.add(Optional.of(e));
      }
    }
    Iterable<Optional<Exception>> answer = results;
    return FutureConverters.asScala(
        log.append(appends)
            .whenComplete(
                (ignored, failure) -> {
                  if (failure != null) {
                    errors.labelValues("write").inc();
                    probe.writeFailed(failure);
                  } else {
                    probe.writeSucceeded();
                  }
                })
            .thenApply(ignored -> answer));
  }

  @Override
  public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
    return FutureConverters.asScala(log.deleteTo(persistenceId, toSequenceNr));
  }

  @Override
  public Future<Void> doAsyncReplayMessages(
      String persistenceId,
      long fromSequenceNr,
      long toSequenceNr,
      long max,
      Consumer<PersistentRepr> replayCallback) {
    SegmentLog current = log;
    CompletableFuture<Void> done = new CompletableFuture<>();
    reads.execute(
        () -> {
          try {
            current.replay(
                persistenceId,
                fromSequenceNr,
                toSequenceNr,
                max,
                (sequenceNr, bytes) ->
                    replayCallback.accept((PersistentRepr) reprSerializer.fromBinary(bytes)));
            done.complete(null);
          } catch (IOException | RuntimeException e) {
            errors.labelValues("replay").inc();
            done.completeExceptionally(e);
          }
        });
    return FutureConverters.asScala(done);
  }

  @Override
  public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    return Futures.successful(log.highestSequenceNr(persistenceId));
  }
}
