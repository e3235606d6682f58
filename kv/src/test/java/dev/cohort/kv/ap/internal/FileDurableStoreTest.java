package dev.cohort.kv.ap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.ddata.DurableStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Option;

/** The file store speaks Distributed Data's durable-store protocol and keeps data across restarts. */
class FileDurableStoreTest {
  private static final ActorTestKit kit = ActorTestKit.create("FileDurableStoreTest",
      ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));

  @TempDir Path dir;

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private ActorRef start(String name) {
    return ((org.apache.pekko.actor.ExtendedActorSystem) Adapter.toClassic(kit.system()))
        .systemActorOf(FileDurableStore.props(dir, true, Duration.ofMillis(20)), name);
  }

  private static ApBucket bucket(String key, int value) {
    return ApBucket.EMPTY.put(key, new ApEntry(new byte[] {(byte) value}, 7, "n", 0, 0));
  }

  @Test
  void storedDataIsLoadedAgainAndCorruptFilesAreSkipped() throws Exception {
    TestProbe<Object> probe = kit.createTestProbe();
    ActorRef replyTo = Adapter.toClassic(probe.getRef());
    ActorRef store = start("store-1");
    store.tell(DurableStore.LoadAll$.MODULE$, replyTo);
    probe.expectMessage(DurableStore.LoadAllCompleted$.MODULE$);

    // Acknowledged stores are written before the reply; several keys, one written twice.
    for (var e : List.of(new Object[] {"kvap:a:0:1", 1}, new Object[] {"kvap:a:0:2", 2},
        new Object[] {"kvap:a:0:1", 3})) {
      store.tell(new DurableStore.Store((String) e[0],
          new DurableStore.DurableDataEnvelope(bucket("k", (Integer) e[1])),
          Option.apply(new DurableStore.StoreReply("stored", "failed", replyTo))), ActorRef.noSender());
    }
    probe.expectMessage("stored");
    probe.expectMessage("stored");
    probe.expectMessage("stored");
    // A replicated change without reply is written behind.
    store.tell(new DurableStore.Store("kvap:b:0:0",
        new DurableStore.DurableDataEnvelope(bucket("x", 9)), Option.empty()), ActorRef.noSender());
    store.tell(org.apache.pekko.actor.PoisonPill.getInstance(), ActorRef.noSender());
    probe.awaitAssert(() -> {
      assertTrue(Files.exists(dir.resolve("kvap%3Ab%3A0%3A0.ddata")));
      return null;
    });

    ActorRef again = start("store-2");
    again.tell(DurableStore.LoadAll$.MODULE$, replyTo);
    DurableStore.LoadData loaded = probe.expectMessageClass(DurableStore.LoadData.class);
    probe.expectMessage(DurableStore.LoadAllCompleted$.MODULE$);
    assertEquals(3, loaded.data().size());
    assertEquals(bucket("k", 3), loaded.data().apply("kvap:a:0:1").data());
    assertEquals(bucket("x", 9), loaded.data().apply("kvap:b:0:0").data());
    Adapter.toClassic(kit.system()).stop(again);

    // Flip a byte in one file: it is set aside, the others still load.
    Path file = dir.resolve("kvap%3Aa%3A0%3A2.ddata");
    probe.awaitAssert(() -> {
      assertTrue(Files.exists(file));
      return null;
    });
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 0x5a;
    Files.write(file, bytes);
    ActorRef third = start("store-3");
    third.tell(DurableStore.LoadAll$.MODULE$, replyTo);
    DurableStore.LoadData rest = probe.expectMessageClass(DurableStore.LoadData.class);
    probe.expectMessage(DurableStore.LoadAllCompleted$.MODULE$);
    assertEquals(2, rest.data().size());
    assertTrue(Files.exists(dir.resolve("kvap%3Aa%3A0%3A2.ddata.corrupt")));
  }
}
