package dev.cohort.kafka;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.security.Access;
import dev.cohort.security.Grant;
import dev.cohort.security.ResourceType;
import dev.cohort.security.Role;
import dev.cohort.security.Security;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Unmodified kafka-clients over SASL_PLAINTEXT with PLAIN against a node with auth enabled: the
 * same users and roles as HTTP decide what a producer, consumer and admin may do. Allowed, denied
 * (topic and group), unauthenticated (no SASL, wrong password) and revoked.
 */
@Tag("integration")
class KafkaSaslTest {
  private static final String ROOT_PASSWORD = "kafka-root-" + UUID.randomUUID();
  private static final String ALICE_PASSWORD = "kafka-alice-" + UUID.randomUUID();
  private static KafkaTestNode node;
  private static Security security;

  @BeforeAll
  static void start() throws Exception {
    node =
        KafkaTestNode.start(
            Files.createTempDirectory("cohort-kafka-sasl"),
            KafkaTestNode.freePort(),
            "cohort.security.password-iterations = 1000");
    security = node.security();
    node.awaitSecurity();
    join(security.addUser("root", ROOT_PASSWORD, List.of(Role.ROOT)));
    join(security.addRole("orders-rw"));
    join(security.grant("orders-rw", new Grant(ResourceType.TOPIC, "orders", "", Access.WRITE)));
    join(security.grant("orders-rw", new Grant(ResourceType.GROUP, "billing", "", Access.READ)));
    join(security.addUser("alice", ALICE_PASSWORD, List.of("orders-rw")));
    join(security.setEnabled(true));
    try (Admin admin = Admin.create(client("root", ROOT_PASSWORD))) {
      admin
          .createTopics(
              List.of(new NewTopic("orders", 1, (short) 1), new NewTopic("secret", 1, (short) 1)))
          .all()
          .get(60, TimeUnit.SECONDS);
    }
  }

  private static <T> T join(java.util.concurrent.CompletionStage<T> stage) {
    return stage.toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static Properties client(String user, String password) {
    return node.client(user, password);
  }

  private static Throwable produceFailure(Properties p, String topic) {
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      ExecutionException e =
          assertThrows(
              ExecutionException.class,
              () -> producer.send(new ProducerRecord<>(topic, "k", "v")).get(30, TimeUnit.SECONDS));
      return e.getCause();
    }
  }

  @Test
  void allowedProduceAndGroupConsume() throws Exception {
    Properties p = client("alice", ALICE_PASSWORD);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      producer.send(new ProducerRecord<>("orders", "u1", "order 1")).get(30, TimeUnit.SECONDS);
    }
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "billing");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ConsumerRecord<String, String>> read = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
      consumer.subscribe(List.of("orders"));
      long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (read.isEmpty() && System.nanoTime() < end) {
        consumer.poll(Duration.ofMillis(500)).forEach(read::add);
      }
      consumer.commitSync();
    }
    assertTrue(read.stream().anyMatch(r -> r.value().equals("order 1")), read.toString());
  }

  @Test
  void deniedTopicsAndGroups() throws Exception {
    Properties p = client("alice", ALICE_PASSWORD);
    assertInstanceOf(TopicAuthorizationException.class, produceFailure(p, "secret"));
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "not-billing");
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
      consumer.subscribe(List.of("orders"));
      assertThrows(GroupAuthorizationException.class, () -> consumer.poll(Duration.ofSeconds(20)));
    }
    try (Admin admin = Admin.create(client("alice", ALICE_PASSWORD))) {
      ExecutionException e =
          assertThrows(
              ExecutionException.class,
              () -> admin.deleteTopics(Set.of("orders")).all().get(30, TimeUnit.SECONDS));
      assertInstanceOf(TopicAuthorizationException.class, e.getCause());
    }
  }

  @Test
  void wrongPasswordAndNoSaslAreRefused() {
    assertInstanceOf(
        SaslAuthenticationException.class, produceFailure(client("alice", "wrong-one"), "orders"));
    try (Admin admin = Admin.create(client(null, null))) {
      ExecutionException e =
          assertThrows(
              ExecutionException.class, () -> admin.listTopics().names().get(30, TimeUnit.SECONDS));
      assertTrue(e.getCause() != null, "no answer without SASL");
    }
  }

  @Test
  void aRevokedGrantStopsTheNextRequest() throws Exception {
    join(security.addRole("temp-writer"));
    join(security.grant("temp-writer", new Grant(ResourceType.TOPIC, "secret", "", Access.WRITE)));
    join(security.addUser("carol", ALICE_PASSWORD, List.of("temp-writer")));
    Properties p = client("carol", ALICE_PASSWORD);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      producer.send(new ProducerRecord<>("secret", "k", "first")).get(30, TimeUnit.SECONDS);
      join(
          security.revoke(
              "temp-writer", new Grant(ResourceType.TOPIC, "secret", "", Access.WRITE)));
      ExecutionException e =
          assertThrows(
              ExecutionException.class,
              () ->
                  producer
                      .send(new ProducerRecord<>("secret", "k", "second"))
                      .get(30, TimeUnit.SECONDS));
      assertInstanceOf(TopicAuthorizationException.class, e.getCause());
    }
  }
}
