package dev.cohort.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.log.TopicDescription;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two nodes, each with a Kafka listener: Metadata names as each partition's leader the node that
 * hosts its entity, clients bootstrapped on one node produce to and fetch from both, and a produce
 * sent to the node that does not host the partition gets NOT_LEADER_OR_FOLLOWER.
 */
@Tag("integration")
class TwoNodeLeadershipTest {

  @Test
  void clientsFollowPartitionLeadershipAcrossNodes() throws Exception {
    try (KafkaTestNode first =
            KafkaTestNode.start(
                Files.createTempDirectory("cohort-kafka-two-a"), KafkaTestNode.freePort(), "");
        KafkaTestNode second =
            KafkaTestNode.start(
                Files.createTempDirectory("cohort-kafka-two-b"),
                KafkaTestNode.freePort(),
                "",
                first)) {
      KafkaTestNode.await(
          Duration.ofSeconds(30), () -> first.upMembers() == 2 && second.upMembers() == 2);
      TopicDescription created =
          first.log().createTopic("spread", 8, Map.of()).toCompletableFuture().get();
      Set<String> hosts = new HashSet<>();
      created.partitions().forEach(p -> hosts.add(p.node()));
      assertEquals(2, hosts.size(), "partitions on both nodes: " + hosts);

      Properties a = new Properties();
      a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, first.bootstrap());
      try (Admin admin = Admin.create(a)) {
        assertEquals(2, admin.describeCluster().nodes().get().size());
        List<TopicPartitionInfo> partitions =
            admin
                .describeTopics(List.of("spread"))
                .allTopicNames()
                .get()
                .get("spread")
                .partitions();
        Set<Integer> leaderPorts = new HashSet<>();
        for (TopicPartitionInfo p : partitions) {
          Node leader = p.leader();
          String host = created.partitions().get(p.partition()).node();
          KafkaTestNode expected = host.equals(first.address().toString()) ? first : second;
          assertEquals(expected.port(), leader.port(), "leader of partition " + p.partition());
          leaderPorts.add(leader.port());
        }
        assertEquals(Set.of(first.port(), second.port()), leaderPorts);
      }

      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, first.bootstrap());
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
        for (int i = 0; i < 400; i++) {
          sent.add(producer.send(new ProducerRecord<>("spread", "k" + i, "v" + i)));
        }
      }
      Set<Integer> written = new HashSet<>();
      for (Future<RecordMetadata> f : sent) {
        written.add(f.get().partition());
      }
      assertEquals(8, written.size());

      Properties c = new Properties();
      c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, second.bootstrap());
      c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      Set<String> read = new HashSet<>();
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
        List<TopicPartition> all = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          all.add(new TopicPartition("spread", i));
        }
        consumer.assign(all);
        consumer.seekToBeginning(all);
        KafkaTestNode.await(
            Duration.ofSeconds(30),
            () -> {
              consumer.poll(Duration.ofMillis(200)).forEach(r -> read.add(r.value()));
              return read.size() >= 400;
            });
      }
      assertEquals(400, read.size());

      int onSecond = -1;
      for (TopicDescription.PartitionDescription d : created.partitions()) {
        if (d.node().equals(second.address().toString())) {
          onSecond = d.partition();
        }
      }
      assertTrue(onSecond >= 0);
      try (RawKafkaClient raw = new RawKafkaClient(first.port())) {
        MemoryRecords records =
            MemoryRecords.withRecords(
                Compression.NONE, new SimpleRecord("k".getBytes(), "v".getBytes()));
        ProduceResponseData answer =
            (ProduceResponseData)
                raw.call(
                        ApiKeys.PRODUCE,
                        (short) 9,
                        RawKafkaClient.produce("spread", onSecond, records))
                    .data();
        assertEquals(
            Errors.NOT_LEADER_OR_FOLLOWER.code(),
            answer.responses().iterator().next().partitionResponses().getFirst().errorCode());
      }
    }
  }
}
