package dev.cohort.kv;

import static dev.cohort.testkit.Await.await;
import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.persistence.JournalProbe;
import dev.cohort.persistence.PersistenceSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On the real embedded journal (the default file journal in a data directory, snapshots in an
 * embedded H2 database next to it, Kryo events and snapshots): every acknowledged write is found
 * after the node is stopped gracefully ({@code ActorSystem.terminate}) and a new node starts on the
 * same data directory, revisions continue, and the recovery crosses snapshots. Prints the put
 * throughput of 16 concurrent writers on this journal. No process dies here: {@code
 * ProcessDurabilityTest} in the platform module SIGKILLs a node process mid-write.
 */
@Tag("integration")
class KvGracefulRestartDurabilityTest {

  private static ActorSystem<Void> node(Path dataDir) {
    Config base =
        ConfigFactory.parseString(
                "cohort.node.data-dir = \""
                    + dataDir.toString().replace('\\', '/')
                    + "\"\n"
                    + "pekko.actor.provider = cluster\n"
                    + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n"
                    + "pekko.remote.artery.canonical.port = 0\n"
                    + "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on\n"
                    + "pekko.loglevel = WARNING\n"
                    + "cohort.kv.snapshot-every-events = 100\n"
                    + "cohort.kv.default-partitions = 4\n"
                    + "cohort.kv.ask-timeout = 10s\n")
            .withFallback(ConfigFactory.parseResources("cohort-pekko.conf"))
            .withFallback(ConfigFactory.load());
    PersistenceSettings persistence = PersistenceSettings.create(base);
    new JournalProbe(persistence).prepareSchema();
    Config config = persistence.pluginConfig().withFallback(base);
    ActorSystem<Void> system =
        ActorSystem.create(Behaviors.empty(), "KvGracefulRestartDurabilityTest", config);
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    await(Duration.ofSeconds(15), () -> cluster.selfMember().status() == MemberStatus.up());
    return system;
  }

  /** The first request waits for sharding to start; creating a keyspace again is harmless. */
  private static void createWhenReady(Kv kv) {
    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        join(kv.createKeyspace("durable", KeyspaceSpec.cp(4)));
        return;
      } catch (KvException e) {
        if (!e.code().equals("timeout") || System.nanoTime() > end) {
          throw e;
        }
      }
    }
  }

  @Test
  void acknowledgedWritesSurviveAGracefulNodeRestart(@TempDir Path dataDir) throws Exception {
    int writes = 300;
    int inFlight = 16;
    List<PutResult> acknowledged = new ArrayList<>();
    ActorSystem<Void> first = node(dataDir);
    long elapsedNanos;
    try {
      Kv kv = KvService.start(first);
      createWhenReady(kv);
      join(kv.put("durable", "warmup", "x"));
      Semaphore window = new Semaphore(inFlight);
      List<CompletableFuture<PutResult>> futures = new ArrayList<>();
      long start = System.nanoTime();
      for (int i = 0; i < writes; i++) {
        window.acquire();
        CompletableFuture<PutResult> f =
            kv.put("durable", String.format("k%04d", i), "v" + i).toCompletableFuture();
        f.whenComplete((r, e) -> window.release());
        futures.add(f);
      }
      futures.forEach(f -> acknowledged.add(join(f)));
      elapsedNanos = System.nanoTime() - start;
    } finally {
      first.terminate();
      first.getWhenTerminated().toCompletableFuture().get();
    }
    System.out.printf(
        "kv durability: %d puts, %d in flight, file journal: %.0f puts/s%n",
        writes, inFlight, writes / (elapsedNanos / 1e9));

    ActorSystem<Void> second = node(dataDir);
    try {
      Kv kv = KvService.start(second);
      createWhenReady(kv);
      RangeResult all = join(kv.range("durable", RangeRequest.prefix("k")));
      assertEquals(writes, all.count(), "AcknowledgedMeansDurable");
      for (int i = 0; i < writes; i += 97) {
        KeyValue kv0 = join(kv.get("durable", String.format("k%04d", i))).kv();
        assertEquals("v" + i, kv0.valueUtf8());
        assertEquals(acknowledged.get(i).header().revision(), kv0.modRevision());
      }
      PutResult after = join(kv.put("durable", "k0000", "again"));
      long highest =
          acknowledged.stream()
              .filter(r -> r.header().partition() == after.header().partition())
              .mapToLong(r -> r.header().revision())
              .max()
              .orElseThrow();
      assertTrue(after.header().revision() > highest, "RevisionsContinueAfterRecovery");
      assertTrue(
          Files.size(dataDir.resolve("journal/events/00000000000000000000.log")) > 0,
          "the events went to the default file journal");
    } finally {
      second.terminate();
      second.getWhenTerminated().toCompletableFuture().get();
    }
  }
}
