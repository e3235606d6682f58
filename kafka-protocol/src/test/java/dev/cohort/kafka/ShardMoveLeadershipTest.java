package dev.cohort.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.log.TopicDescription;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Clients follow a partition's leadership when its entity moves to another node: two nodes share
 * one journal (H2 in this JVM), an idempotent producer writes to partitions on both, the node that
 * hosts half of them leaves gracefully so sharding hands its partitions to the other node, and the
 * same producer goes on writing. Every acknowledged record is then read exactly once, in offset
 * order, from the node that now leads every partition.
 */
@Tag("integration")
class ShardMoveLeadershipTest {
  private static final String TOPIC = "moving";
  private static final int PARTITIONS = 6;

  @Test
  void producerAndConsumerFollowPartitionsThatMoveToAnotherNode() throws Exception {
    Path journal = Files.createTempDirectory("cohort-kafka-move");
    String shared = "cohort.node.allow-local-journal-in-cluster = on";
    try (KafkaTestNode staying = KafkaTestNode.start(journal, KafkaTestNode.freePort(), shared);
        KafkaTestNode leaving =
            KafkaTestNode.start(journal, KafkaTestNode.freePort(), shared, staying)) {
      KafkaTestNode.await(
          Duration.ofSeconds(30), () -> staying.upMembers() == 2 && leaving.upMembers() == 2);
      TopicDescription created =
          staying.log().createTopic(TOPIC, PARTITIONS, Map.of()).toCompletableFuture().get();
      Set<String> hosts = new HashSet<>();
      created.partitions().forEach(p -> hosts.add(p.node()));
      assertEquals(2, hosts.size(), "partitions on both nodes before the move: " + hosts);

      Properties p = new Properties();
      p.put(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, staying.bootstrap() + "," + leaving.bootstrap());
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
      p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
        for (int i = 0; i < 120; i++) {
          sent.add(producer.send(new ProducerRecord<>(TOPIC, i % PARTITIONS, "k" + i, "v" + i)));
        }
        producer.flush();

        leaving.leave(Duration.ofSeconds(60));
        KafkaTestNode.await(Duration.ofSeconds(30), () -> staying.upMembers() == 1);

        for (int i = 120; i < 240; i++) {
          sent.add(producer.send(new ProducerRecord<>(TOPIC, i % PARTITIONS, "k" + i, "v" + i)));
        }
        producer.flush();
      }
      Map<Integer, Long> lastAcked = new HashMap<>();
      for (Future<RecordMetadata> f : sent) {
        RecordMetadata m = f.get();
        lastAcked.merge(m.partition(), m.offset(), Math::max);
      }
      assertEquals(PARTITIONS, lastAcked.size());

      TopicDescription after = staying.log().describeTopic(TOPIC).toCompletableFuture().get();
      for (TopicDescription.PartitionDescription d : after.partitions()) {
        assertEquals(
            staying.address().toString(), d.node(), "partition " + d.partition() + " moved");
      }

      Properties c = new Properties();
      c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, staying.bootstrap());
      c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      List<ConsumerRecord<String, String>> read = new ArrayList<>();
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
        List<TopicPartition> all = new ArrayList<>();
        for (int i = 0; i < PARTITIONS; i++) {
          all.add(new TopicPartition(TOPIC, i));
        }
        consumer.assign(all);
        consumer.seekToBeginning(all);
        KafkaTestNode.await(
            Duration.ofSeconds(30),
            () -> {
              consumer.poll(Duration.ofMillis(200)).forEach(read::add);
              return read.size() >= 240;
            });
      }
      Set<String> values = new HashSet<>();
      Map<Integer, Long> previous = new HashMap<>();
      for (ConsumerRecord<String, String> r : read) {
        assertTrue(values.add(r.value()), "read twice: " + r.value());
        Long before = previous.put(r.partition(), r.offset());
        assertTrue(before == null || before < r.offset(), "offsets rise in " + r.partition());
        assertEquals(Integer.parseInt(r.value().substring(1)) % PARTITIONS, r.partition());
      }
      assertEquals(240, values.size());
      previous.forEach(
          (partition, offset) ->
              assertEquals(lastAcked.get(partition), offset, "last offset of " + partition));
    }
  }
}
