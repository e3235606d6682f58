package dev.cohort.log.internal;

import static dev.cohort.log.internal.LogTestKit.get;
import static dev.cohort.testkit.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.cluster.NodeConfig;
import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.Producer;
import dev.cohort.log.ProducerRecord;
import dev.cohort.log.RecordMetadata;
import dev.cohort.log.TopicPartition;
import dev.cohort.persistence.JournalProbe;
import dev.cohort.persistence.PersistenceSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The stream log on the real embedded journal (pekko-persistence-jdbc over an H2 file): produce and
 * consume throughput, recovery after the node restarts, and retention freeing journal rows. Prints
 * one line of numbers.
 */
@Tag("integration")
class JdbcJournalTest {

  private static Config config(Path dataDir) {
    Config base =
        ConfigFactory.parseString(
                """
                pekko.actor.provider = cluster
                pekko.remote.artery.canonical.hostname = 127.0.0.1
                pekko.remote.artery.canonical.port = 0
                pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                pekko.loglevel = WARNING
                cohort.node.data-dir = "%s"
                cohort.persistence.journal = h2
                cohort.log.partition.retention-check-interval = 1h
                """
                    .formatted(dataDir.toString().replace("\\", "/")))
            .withFallback(NodeConfig.pekkoDefaults());
    PersistenceSettings persistence = PersistenceSettings.create(base);
    new JournalProbe(persistence).prepareSchema();
    return persistence.pluginConfig().withFallback(base);
  }

  private static ActorTestKit node(Config config) {
    ActorTestKit kit = ActorTestKit.create(config);
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    await(Duration.ofSeconds(20), () -> cluster.selfMember().status() == MemberStatus.up());
    return kit;
  }

  private static long journalRows(PersistenceSettings settings, String persistenceId)
      throws Exception {
    try (Connection c = settings.openConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ?")) {
      s.setString(1, persistenceId);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return r.getLong(1);
      }
    }
  }

  @Test
  void produceConsumeRecoverAndFreeSpaceOnH2() throws Exception {
    Path dir = Files.createTempDirectory("cohort-log-h2");
    Config config = config(dir);
    PersistenceSettings persistence = PersistenceSettings.create(config);
    int records = 50_000;
    byte[] value = new byte[100];
    String line;
    ActorTestKit first = node(config);
    try {
      StreamLogImpl log = StreamLogImpl.start(first.system());
      get(log.createTopic("perf", 1, Map.of()));
      List<CompletionStage<RecordMetadata>> acks = new ArrayList<>(records);
      long started = System.nanoTime();
      try (Producer producer = log.producer()) {
        for (int i = 0; i < records; i++) {
          acks.add(producer.send(new ProducerRecord("perf", null, null, value, Map.of(), null)));
        }
        get(producer.flush());
      }
      double produceSeconds = (System.nanoTime() - started) / 1e9;
      assertEquals(records - 1, get(acks.getLast()).offset());
      started = System.nanoTime();
      List<ConsumerRecord> read =
          get(
              log.source("perf", 0, 0, log.consumerSettings())
                  .take(records)
                  .runWith(Sink.seq(), first.system()));
      double consumeSeconds = (System.nanoTime() - started) / 1e9;
      assertEquals(records - 1, read.getLast().offset());
      line =
          "stream-log on H2: produce %d x 100 B acks=all linger.ms=5: %.0f records/s; consume: %.0f records/s"
              .formatted(records, records / produceSeconds, records / consumeSeconds);
    } finally {
      first.shutdownTestKit();
    }
    System.out.println(line);

    ActorTestKit second = node(config);
    try {
      StreamLogImpl log = StreamLogImpl.start(second.system());
      var description = get(log.describeTopic("perf"));
      assertEquals(
          records, description.partitions().getFirst().logEndOffset(), "recovered after restart");
      assertEquals(
          records - 1, get(log.fetch("perf", 0, records - 1)).records().getFirst().offset());
      String pid =
          PartitionEntity.ENTITY_TYPE_KEY.name() + "|" + PartitionEntity.entityId("perf", 0);
      long rowsBefore = journalRows(persistence, pid);
      get(log.alterTopicConfigs("perf", Map.of("retention.bytes", "20000")));
      var status =
          (PartitionEntity.Status)
              get(
                  log.partition(new TopicPartition("perf", 0))
                      .ask(PartitionEntity.CheckRetention::new, Duration.ofSeconds(10)));
      assertTrue(status.logStartOffset() > records / 2);
      await(
          Duration.ofSeconds(20),
          () -> {
            try {
              return journalRows(persistence, pid) <= 2;
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
      System.out.println(
          "journal rows of the partition: "
              + rowsBefore
              + " before retention, "
              + journalRows(persistence, pid)
              + " after");
    } finally {
      second.shutdownTestKit();
    }
  }
}
