package dev.cohort.kv.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.cluster.NodeConfig;
import dev.cohort.kv.KvError;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnRequest;
import dev.cohort.persistence.JournalProbe;
import dev.cohort.persistence.PersistenceSettings;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two incarnations of one kv partition on the shared PostgreSQL journal, in two actor systems: the
 * situation after a paused or cut-off node's partition was moved and written to elsewhere. The
 * stale incarnation must not answer a read with the overwritten value: it refuses with {@code
 * stale_owner} and stops, and the next incarnation reads the new value. Writes need no fence: the
 * stale incarnation's write fails on the journal.
 */
@Tag("integration")
class KvReadFenceTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private ActorTestKit first;
  private ActorTestKit second;

  private static Config node() throws Exception {
    Config config =
        NodeConfig.assemble(
            ConfigFactory.parseString(
                "cohort.persistence.journal = postgresql\n"
                    + "cohort.node { remote-port = 0, data-dir = \""
                    + Files.createTempDirectory("kv-fence")
                    + "\" }\n"
                    + "pekko.actor.serialize-messages = on\n"));
    JournalProbe probe = new JournalProbe(PersistenceSettings.create(config));
    assertTrue(
        probe.answers(),
        "PostgreSQL does not answer at "
            + probe.settings().jdbcUrl()
            + " — start it as .ci/run does");
    probe.prepareSchema();
    return config;
  }

  @AfterEach
  void stop() {
    for (ActorTestKit kit : new ActorTestKit[] {first, second}) {
      if (kit != null) {
        kit.shutdownTestKit();
      }
    }
  }

  private static KvPartition.Reply put(
      ActorTestKit kit, ActorRef<KvPartition.Command> partition, String value) {
    TestProbe<KvPartition.Reply> probe = kit.createTestProbe();
    partition.tell(
        new KvPartition.Txn(
            new TxnRequest(List.of(), List.of(new TxnOp.Put("k", value)), List.of()),
            probe.getRef()));
    return probe.receiveMessage(WAIT);
  }

  private static KvPartition.Reply get(ActorTestKit kit, ActorRef<KvPartition.Command> partition) {
    TestProbe<KvPartition.Reply> probe = kit.createTestProbe();
    partition.tell(new KvPartition.Get("k", 0, probe.getRef()));
    return probe.receiveMessage(WAIT);
  }

  private static String value(KvPartition.Reply reply) {
    return new String(
        assertInstanceOf(KvPartition.GetReply.class, reply).kv().orElseThrow().value(),
        java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void aStaleIncarnationRefusesToReadAndTheNextReadsTheNewValue() throws Exception {
    first = ActorTestKit.create("cohort", node());
    second = ActorTestKit.create("cohort", node());
    KvSettings settings = KvSettings.create(first.system().settings().config());
    String entityId =
        KvPartition.entityId("fence-" + UUID.randomUUID().toString().substring(0, 8), 1, 1, 0);

    ActorRef<KvPartition.Command> stale =
        first.spawn(KvPartition.create(entityId, settings, KvMetrics.get(first.system())));
    assertInstanceOf(KvPartition.TxnReply.class, put(first, stale, "old"));
    assertEquals("old", value(get(first, stale)));

    // The partition moved: a new incarnation elsewhere recovers "old" and overwrites it.
    ActorRef<KvPartition.Command> moved =
        second.spawn(KvPartition.create(entityId, settings, KvMetrics.get(second.system())));
    assertEquals("old", value(get(second, moved)));
    assertInstanceOf(KvPartition.TxnReply.class, put(second, moved, "new"));

    TestProbe<Object> watcher = first.createTestProbe();
    KvPartition.Reply refused = get(first, stale);
    assertEquals(
        KvError.STALE_OWNER.code(),
        assertInstanceOf(KvPartition.Rejected.class, refused).rejection().code(),
        refused.toString());
    watcher.expectTerminated(stale, WAIT);

    ActorRef<KvPartition.Command> reloaded =
        first.spawn(KvPartition.create(entityId, settings, KvMetrics.get(first.system())));
    assertEquals("new", value(get(first, reloaded)));
  }
}
