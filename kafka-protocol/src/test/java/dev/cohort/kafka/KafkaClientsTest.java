package dev.cohort.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Unmodified kafka-clients 4.x against one node's Kafka listener: an idempotent producer with
 * acks=all read back by a consumer, the AdminClient's topic and config operations, and a
 * transactional producer refused with a clear error.
 */
@Tag("integration")
class KafkaClientsTest {
  private static KafkaTestNode node;

  @BeforeAll
  static void start() throws Exception {
    node =
        KafkaTestNode.start(
            Files.createTempDirectory("cohort-kafka-clients"), KafkaTestNode.freePort(), "");
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static Properties common() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, node.bootstrap());
    return p;
  }

  private static Admin admin() {
    return Admin.create(common());
  }

  @Test
  void idempotentProducerWithAcksAllIsReadBackInOrderExactlyOnce() throws Exception {
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic("idem", 3, (short) 1))).all().get();
    }
    Properties p = common();
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    int count = 3000;
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      for (int i = 0; i < count; i++) {
        sent.add(producer.send(new ProducerRecord<>("idem", "key-" + (i % 7), "value-" + i)));
      }
      producer.flush();
    }
    for (Future<RecordMetadata> f : sent) {
      assertTrue(f.get().offset() >= 0);
    }

    Properties c = common();
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ConsumerRecord<String, String>> read = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
      List<TopicPartition> partitions =
          List.of(
              new TopicPartition("idem", 0),
              new TopicPartition("idem", 1),
              new TopicPartition("idem", 2));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      KafkaTestNode.await(
          Duration.ofSeconds(30),
          () -> {
            consumer.poll(Duration.ofMillis(200)).forEach(read::add);
            return read.size() >= count;
          });
      assertTrue(consumer.poll(Duration.ofMillis(300)).isEmpty(), "nothing beyond what was sent");
    }
    assertEquals(count, read.size());
    assertEquals(count, read.stream().map(ConsumerRecord::value).distinct().count());
    // Per key, values arrive in the order they were sent.
    Map<String, List<Integer>> byKey = new java.util.TreeMap<>();
    for (ConsumerRecord<String, String> r : read) {
      byKey
          .computeIfAbsent(r.key(), k -> new ArrayList<>())
          .add(Integer.parseInt(r.value().substring("value-".length())));
    }
    byKey.values().forEach(list -> assertEquals(list.stream().sorted().toList(), list));
  }

  @Test
  void adminClientCreatesDescribesAltersAndDeletesTopics() throws Exception {
    try (Admin admin = admin()) {
      admin
          .createTopics(
              List.of(
                  new NewTopic("admin-a", 4, (short) 1)
                      .configs(Map.of("cleanup.policy", "compact"))))
          .all()
          .get();
      ExecutionException exists =
          assertThrows(
              ExecutionException.class,
              () -> admin.createTopics(List.of(new NewTopic("admin-a", 1, (short) 1))).all().get());
      assertInstanceOf(TopicExistsException.class, exists.getCause());
      assertTrue(admin.listTopics().names().get().contains("admin-a"));

      TopicDescription description =
          admin.describeTopics(List.of("admin-a")).allTopicNames().get().get("admin-a");
      assertEquals(4, description.partitions().size());

      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "admin-a");
      Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
      assertEquals("compact", config.get("cleanup.policy").value());

      Map<ConfigResource, Collection<AlterConfigOp>> alter =
          Map.of(
              resource,
              List.of(
                  new AlterConfigOp(
                      new ConfigEntry("retention.ms", "3600000"), AlterConfigOp.OpType.SET),
                  new AlterConfigOp(
                      new ConfigEntry("cleanup.policy", ""), AlterConfigOp.OpType.DELETE)));
      admin.incrementalAlterConfigs(alter).all().get();
      Config altered = admin.describeConfigs(List.of(resource)).all().get().get(resource);
      assertEquals("3600000", altered.get("retention.ms").value());
      assertEquals("delete", altered.get("cleanup.policy").value());
      assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, altered.get("cleanup.policy").source());

      Map<ConfigResource, Collection<AlterConfigOp>> bad =
          Map.of(
              resource,
              List.of(
                  new AlterConfigOp(
                      new ConfigEntry("retention.ms", "soon"), AlterConfigOp.OpType.SET)));
      assertThrows(ExecutionException.class, () -> admin.incrementalAlterConfigs(bad).all().get());
      assertEquals(
          "3600000",
          admin
              .describeConfigs(List.of(resource))
              .all()
              .get()
              .get(resource)
              .get("retention.ms")
              .value());

      admin.createPartitions(Map.of("admin-a", NewPartitions.increaseTo(6))).all().get();
      assertEquals(
          6,
          admin
              .describeTopics(List.of("admin-a"))
              .allTopicNames()
              .get()
              .get("admin-a")
              .partitions()
              .size());

      admin.deleteTopics(List.of("admin-a")).all().get();
      assertFalse(admin.listTopics().names().get().contains("admin-a"));
      ExecutionException gone =
          assertThrows(
              ExecutionException.class,
              () -> admin.describeTopics(Set.of("admin-a")).allTopicNames().get());
      assertInstanceOf(UnknownTopicOrPartitionException.class, gone.getCause());
    }
  }

  @Test
  void transactionalProducerGetsAClearError() {
    Properties p = common();
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-1");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "20000");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      KafkaException e = assertThrows(KafkaException.class, producer::initTransactions);
      String text = String.valueOf(e.getMessage()) + " " + e.getCause();
      assertTrue(text.contains("Cohort does not support Kafka transactions"), text);
      assertFalse(e instanceof org.apache.kafka.common.errors.TimeoutException, text);
    }
  }
}
