package dev.cohort.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Kafka's classic consumer-group protocol with unmodified KafkaConsumers on the stream-log's
 * groups: three members share six partitions, the partitions of one that leaves move to the other
 * two, and after the node restarts a new member resumes from the committed offsets.
 */
@Tag("integration")
class ConsumerGroupProtocolTest {
  private static final String TOPIC = "orders";
  private static final String GROUP = "order-processors";

  /** One group member polling on its own thread, committing synchronously after each poll. */
  private static final class Member implements AutoCloseable {
    final Map<String, Integer> seen = new ConcurrentHashMap<>();
    final AtomicReference<Set<TopicPartition>> assignment = new AtomicReference<>(Set.of());
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    Member(String bootstrap, String name) {
      Properties c = new Properties();
      c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      c.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
      c.put(ConsumerConfig.CLIENT_ID_CONFIG, name);
      c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      c.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "200");
      c.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
      c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
      thread = Thread.ofPlatform().name("member-" + name).start(() -> loop(c));
    }

    private void loop(Properties c) {
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
        consumer.subscribe(List.of(TOPIC));
        while (running.get()) {
          ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(100));
          for (ConsumerRecord<String, String> r : records) {
            seen.merge(r.value(), 1, Integer::sum);
          }
          assignment.set(Set.copyOf(consumer.assignment()));
          commit(consumer);
        }
        commit(consumer);
      }
    }

    private static void commit(KafkaConsumer<String, String> consumer) {
      try {
        consumer.commitSync(Duration.ofSeconds(10));
      } catch (KafkaException e) {
        // A commit refused during a rebalance: the next poll's commit carries the positions.
      }
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join(Duration.ofSeconds(60));
    }
  }

  private static void produce(String bootstrap, int from, int to) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      for (int i = from; i < to; i++) {
        producer.send(new ProducerRecord<>(TOPIC, "user-" + (i % 13), "order-" + i));
      }
      producer.flush();
    }
  }

  private static Set<String> union(List<Member> members) {
    Set<String> all = new HashSet<>();
    members.forEach(m -> all.addAll(m.seen.keySet()));
    return all;
  }

  private static Set<String> orders(int from, int to) {
    Set<String> out = new HashSet<>();
    for (int i = from; i < to; i++) {
      out.add("order-" + i);
    }
    return out;
  }

  @Test
  void threeMembersShareSixPartitionsRebalanceOnLeaveAndResumeAfterRestart() throws Exception {
    Path data = Files.createTempDirectory("cohort-kafka-groups");
    int port = KafkaTestNode.freePort();
    try (KafkaTestNode node = KafkaTestNode.start(data, port, "")) {
      Properties a = new Properties();
      a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, node.bootstrap());
      try (Admin admin = Admin.create(a)) {
        admin.createTopics(List.of(new NewTopic(TOPIC, 6, (short) 1))).all().get();
      }
      produce(node.bootstrap(), 0, 600);

      Member m1 = new Member(node.bootstrap(), "m1");
      Member m2 = new Member(node.bootstrap(), "m2");
      Member m3 = new Member(node.bootstrap(), "m3");
      List<Member> all = List.of(m1, m2, m3);
      KafkaTestNode.await(
          Duration.ofSeconds(40),
          () ->
              all.stream().allMatch(m -> m.assignment.get().size() == 2)
                  && union(all).containsAll(orders(0, 600)));
      Set<TopicPartition> owned = new HashSet<>();
      all.forEach(m -> owned.addAll(m.assignment.get()));
      assertEquals(6, owned.size(), "every partition has exactly one owner");

      m3.close();
      List<Member> left = List.of(m1, m2);
      KafkaTestNode.await(
          Duration.ofSeconds(40),
          () -> left.stream().allMatch(m -> m.assignment.get().size() == 3));
      Set<TopicPartition> afterLeave = new HashSet<>(m1.assignment.get());
      afterLeave.addAll(m2.assignment.get());
      assertEquals(6, afterLeave.size(), "the leaver's partitions moved to the others");

      produce(node.bootstrap(), 600, 900);
      KafkaTestNode.await(Duration.ofSeconds(40), () -> union(left).containsAll(orders(600, 900)));
      m1.close();
      m2.close();
    }

    try (KafkaTestNode node = KafkaTestNode.start(data, port, "")) {
      produce(node.bootstrap(), 900, 1000);
      try (Member resumed = new Member(node.bootstrap(), "m4")) {
        KafkaTestNode.await(
            Duration.ofSeconds(40), () -> resumed.seen.keySet().containsAll(orders(900, 1000)));
        assertEquals(
            orders(900, 1000),
            resumed.seen.keySet(),
            "the new member starts at the committed offsets, not at the beginning");
        assertTrue(resumed.seen.values().stream().allMatch(n -> n == 1));
      }
    }
  }
}
