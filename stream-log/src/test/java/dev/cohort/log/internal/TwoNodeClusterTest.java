package dev.cohort.log.internal;

import static dev.cohort.log.internal.LogTestKit.get;
import static dev.cohort.testkit.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.ConsumerSettings;
import dev.cohort.log.GroupConsumer;
import dev.cohort.log.Producer;
import dev.cohort.log.ProducerRecord;
import dev.cohort.log.RecordMetadata;
import dev.cohort.log.TopicDescription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ClusterSharding;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two nodes in one JVM: partitions spread over both, so produce, fetch and group requests and their
 * answers cross Artery serialized (each node keeps its in-memory journal; nothing moves between
 * nodes during the test).
 */
@Tag("integration")
class TwoNodeClusterTest {

  @Test
  void produceAndConsumeAcrossNodes() {
    String frame =
        "pekko.remote.artery.advanced.maximum-frame-size = 4MiB\n"
            + "cohort.log.group.lag-refresh-interval = 200ms";
    ActorTestKit first = ActorTestKit.create("cohort", LogTestKit.config(frame));
    ActorTestKit second = ActorTestKit.create("cohort", LogTestKit.config(frame));
    Cluster.get(first.system())
        .manager()
        .tell(Join.create(Cluster.get(first.system()).selfMember().address()));
    try {
      Cluster.get(second.system())
          .manager()
          .tell(Join.create(Cluster.get(first.system()).selfMember().address()));
      await(
          Duration.ofSeconds(20),
          () ->
              Cluster.get(first.system()).state().getMembers().spliterator().estimateSize() == 2
                  && Cluster.get(second.system()).selfMember().status() == MemberStatus.up());
      StreamLogImpl one = StreamLogImpl.start(first.system());
      StreamLogImpl two = StreamLogImpl.start(second.system());
      // Partitions spread only once the coordinator knows both nodes' regions; a topic created
      // before the second region registered would put every partition on the first node.
      await(Duration.ofSeconds(20), () -> coordinatorKnownRegions(first.system()) == 2);

      TopicDescription topic =
          get(one.createTopic("spread", 8, Map.of("compression.type", "zstd")));
      Set<String> nodes = new HashSet<>();
      topic.partitions().forEach(p -> nodes.add(p.node()));
      assertEquals(2, nodes.size(), "partitions on both nodes: " + nodes);

      List<CompletionStage<RecordMetadata>> acks = new ArrayList<>();
      try (Producer producer = two.producer()) {
        for (int i = 0; i < 2000; i++) {
          acks.add(
              producer.send(
                  ProducerRecord.of("spread", "k" + (i % 50), "v" + i + "-" + "x".repeat(200))));
        }
        get(producer.flush());
      }
      acks.forEach(LogTestKit::get);
      ConsumerSettings earliest =
          one.consumerSettings().with(Map.of("auto.offset.reset", "earliest"));
      int total = 0;
      for (int p = 0; p < 8; p++) {
        long end = get(one.describeTopic("spread")).partitions().get(p).logEndOffset();
        List<ConsumerRecord> read =
            get(one.source("spread", p, 0, earliest).take(end).runWith(Sink.seq(), first.system()));
        total += read.size();
      }
      assertEquals(2000, total);

      ConsumerSettings group =
          earliest.with(Map.of("session.timeout.ms", "5000", "enable.auto.commit", "false"));
      Set<String> seen = new HashSet<>();
      try (GroupConsumer a = one.groupConsumer("spread-group", List.of("spread"), group);
          GroupConsumer b = two.groupConsumer("spread-group", List.of("spread"), group)) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (seen.size() < 2000 && System.nanoTime() < deadline) {
          get(a.poll(Duration.ofMillis(50))).forEach(r -> seen.add(r.valueString()));
          get(b.poll(Duration.ofMillis(50))).forEach(r -> seen.add(r.valueString()));
        }
        assertTrue(a.assignment().size() + b.assignment().size() <= 8);
        get(a.commitSync());
        get(b.commitSync());
      }
      assertEquals(2000, seen.size());

      // The group's coordinator lives on one node, half the partitions on the other: its lag
      // gauge covers all eight, the remote ones from fetched log end offsets.
      int lagging;
      try (Producer producer = two.producer()) {
        List<RecordMetadata> late = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
          late.add(get(producer.send(ProducerRecord.of("spread", "late-key", "late-" + i))));
        }
        lagging = late.getFirst().partition();
      }
      int laggingPartition = lagging;
      await(
          Duration.ofSeconds(20),
          () -> {
            String scraped =
                dev.cohort.observability.Metrics.get(first.system()).scrape()
                    + dev.cohort.observability.Metrics.get(second.system()).scrape();
            for (int p = 0; p < 8; p++) {
              String line =
                  "cohort_log_consumer_group_lag{group=\"spread-group\",partition=\""
                      + p
                      + "\",topic=\"spread\"} "
                      + (p == laggingPartition ? "30.0" : "0.0");
              if (!scraped.contains(line)) {
                return false;
              }
            }
            return true;
          });
    } finally {
      second.shutdownTestKit();
      first.shutdownTestKit();
    }
  }

  private static int coordinatorKnownRegions(ActorSystem<?> system) {
    ActorRef region =
        ClusterSharding.get(Adapter.toClassic(system))
            .shardRegion(PartitionEntity.ENTITY_TYPE_KEY.name());
    Object answer =
        Patterns.ask(region, ShardRegion.getCurrentRegionsInstance(), Duration.ofSeconds(3))
            .toCompletableFuture()
            .join();
    return ((ShardRegion.CurrentRegions) answer).getRegions().size();
  }
}
