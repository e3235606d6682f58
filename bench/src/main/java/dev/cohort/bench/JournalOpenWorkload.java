package dev.cohort.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.cluster.NodeConfig;
import dev.cohort.persistence.PersistenceSettings;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.PersistentEnvelope;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.PersistentRepr$;
import scala.jdk.javaapi.CollectionConverters;

/**
 * What the default file journal costs at start: {@code ids} entities with one atomic write of
 * {@code events} events each (the shape of a cross-partition transaction's coordinator) are written
 * through Pekko's journal protocol, the actor system is stopped, and a new one opens the log.
 * Prints the time from the first request to the journal until it answered (the whole log is read
 * and indexed) and the heap the index holds after a full GC.
 */
final class JournalOpenWorkload implements Bench.Workload {
  private static final int WRITES_PER_REQUEST = 1000;

  @Override
  public String description() {
    return "file journal open time and index heap; ids=1000000 events=2 bytes=50";
  }

  @Override
  public void run(Bench.Params params) throws Exception {
    int ids = params.intValue("ids", 1_000_000);
    int events = params.intValue("events", 2);
    int bytes = params.intValue("bytes", 50);
    Path data = Files.createTempDirectory("cohort-bench-journal");
    Config config = journalConfig(data);

    ActorSystem writer = ActorSystem.create("journal-bench", config);
    long writeStarted = System.nanoTime();
    try {
      ActorRef journal = Persistence.get(writer).journalFor("", ConfigFactory.empty());
      Semaphore inFlight = new Semaphore(8);
      CompletableFuture<Void> failed = new CompletableFuture<>();
      ActorRef acks =
          writer.actorOf(Props.create(Acks.class, () -> new Acks(inFlight, failed)), "acks");
      String writerUuid = UUID.randomUUID().toString();
      List<PersistentEnvelope> request = new ArrayList<>(WRITES_PER_REQUEST);
      for (int id = 0; id < ids; id++) {
        List<PersistentRepr> batch = new ArrayList<>(events);
        String persistenceId = "kv-txn|" + UUID.randomUUID();
        for (int e = 1; e <= events; e++) {
          batch.add(
              PersistentRepr$.MODULE$.apply(
                  new byte[bytes], e, persistenceId, "", false, ActorRef.noSender(), writerUuid));
        }
        request.add(new AtomicWrite(CollectionConverters.asScala(batch).toList()));
        if (request.size() == WRITES_PER_REQUEST || id == ids - 1) {
          inFlight.acquire();
          if (failed.isDone()) {
            failed.get();
          }
          journal.tell(
              new JournalProtocol.WriteMessages(
                  CollectionConverters.asScala(request).toList(), acks, 1),
              ActorRef.noSender());
          request = new ArrayList<>(WRITES_PER_REQUEST);
        }
      }
      inFlight.acquire(8);
      if (failed.isDone()) {
        failed.get();
      }
    } finally {
      writer.terminate();
      writer.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
    double writeSeconds = (System.nanoTime() - writeStarted) / 1e9;

    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    System.gc();
    long heapBefore = memory.getHeapMemoryUsage().getUsed();
    ActorSystem reader = ActorSystem.create("journal-bench", config);
    try {
      CompletableFuture<Long> highest = new CompletableFuture<>();
      ActorRef answer =
          reader.actorOf(Props.create(Recovery.class, () -> new Recovery(highest)), "recovery");
      long opening = System.nanoTime();
      Persistence.get(reader)
          .journalFor("", ConfigFactory.empty())
          .tell(
              new JournalProtocol.ReplayMessages(1, Long.MAX_VALUE, 0, "never-written", answer),
              ActorRef.noSender());
      highest.get(10, TimeUnit.MINUTES);
      double openSeconds = (System.nanoTime() - opening) / 1e9;
      System.gc();
      long heapAfter = memory.getHeapMemoryUsage().getUsed();
      System.out.printf(
          "bench=journal_open ids=%d events_per_id=%d event_bytes=%d log_mb=%.1f"
              + " write_s=%.1f open_s=%.2f heap_mb=%.0f heap_bytes_per_id=%.0f%n",
          ids,
          events,
          bytes,
          logBytes(data.resolve("journal/events")) / 1e6,
          writeSeconds,
          openSeconds,
          (heapAfter - heapBefore) / 1e6,
          (heapAfter - heapBefore) / (double) ids);
    } finally {
      reader.terminate();
      reader.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  /** The node's persistence configuration (default journal) on a local, non-cluster system. */
  private static Config journalConfig(Path data) {
    Config base =
        ConfigFactory.parseString("cohort.node.data-dir = \"" + data + "\"")
            .withFallback(NodeConfig.pekkoDefaults());
    PersistenceSettings settings = PersistenceSettings.create(base);
    if (settings.journal() != PersistenceSettings.Journal.FILE) {
      throw new IllegalArgumentException(
          "journal-open measures the file journal; cohort.persistence.journal is "
              + settings.journal());
    }
    return settings.pluginConfig().withFallback(base);
  }

  private static long logBytes(Path directory) throws Exception {
    try (Stream<Path> files = Files.list(directory)) {
      long total = 0;
      for (Path file : files.filter(f -> f.toString().endsWith(".log")).toList()) {
        total += Files.size(file);
      }
      return total;
    }
  }

  /** Releases a permit per answered write request; fails the run on a journal failure. */
  static final class Acks extends AbstractActor {
    private final Semaphore inFlight;
    private final CompletableFuture<Void> failed;

    Acks(Semaphore inFlight, CompletableFuture<Void> failed) {
      this.inFlight = inFlight;
      this.failed = failed;
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .matchEquals(JournalProtocol.WriteMessagesSuccessful$.MODULE$, done -> inFlight.release())
          .match(
              JournalProtocol.WriteMessagesFailed.class,
              failure -> {
                failed.completeExceptionally(failure.cause());
                inFlight.release();
              })
          .matchAny(perMessageAnswer -> {})
          .build();
    }
  }

  /** Completes with the highest sequence number the replay reports. */
  static final class Recovery extends AbstractActor {
    private final CompletableFuture<Long> highest;

    Recovery(CompletableFuture<Long> highest) {
      this.highest = highest;
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .match(
              JournalProtocol.RecoverySuccess.class,
              success -> highest.complete(success.highestSequenceNr()))
          .match(
              JournalProtocol.ReplayMessagesFailure.class,
              failure -> highest.completeExceptionally(failure.cause()))
          .build();
    }
  }
}
