package dev.cohort.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.security.Access;
import dev.cohort.security.Grant;
import dev.cohort.security.ResourceType;
import dev.cohort.security.Role;
import dev.cohort.security.Security;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.SaslAuthenticateResponse;
import org.apache.kafka.common.requests.SaslHandshakeResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * SASL sessions end (KIP-368): SaslAuthenticate answers the session's lifetime, kafka-clients
 * authenticate again on the same connection before it ends and go on undisturbed, a connection that
 * passes its lifetime without doing so is closed at its next request, and a user deleted or whose
 * password changed is refused at the connection's next request, whatever its lifetime.
 */
@Tag("integration")
class KafkaSessionLifetimeTest {
  private static final Duration LIFETIME = Duration.ofSeconds(3);
  private static final String PASSWORD = "kafka-session-" + UUID.randomUUID();
  private static KafkaTestNode node;
  private static Security security;

  @BeforeAll
  static void start() throws Exception {
    node =
        KafkaTestNode.start(
            Files.createTempDirectory("cohort-kafka-session"),
            KafkaTestNode.freePort(),
            "cohort.security.password-iterations = 1000\n"
                // the refused clients below retry with their old passwords
                + "cohort.security.failed-attempts.max = 1000\n"
                + "cohort.security.kafka-session-lifetime = "
                + LIFETIME.toMillis()
                + "ms");
    security = node.security();
    node.awaitSecurity();
    join(security.addUser("root", PASSWORD, List.of(Role.ROOT)));
    join(security.addRole("events-rw"));
    join(security.grant("events-rw", new Grant(ResourceType.TOPIC, "events", "", Access.WRITE)));
    for (String user : List.of("alice", "bob", "dora", "paul", "dave", "pete")) {
      join(security.addUser(user, PASSWORD, List.of("events-rw")));
    }
    join(security.setEnabled(true));
    try (Admin admin = Admin.create(client("root"))) {
      admin
          .createTopics(List.of(new NewTopic("events", 1, (short) 1)))
          .all()
          .get(60, TimeUnit.SECONDS);
    }
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static <T> T join(java.util.concurrent.CompletionStage<T> stage) {
    return stage.toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
  }

  private static Properties client(String user) {
    return node.client(user, PASSWORD);
  }

  private static double metric(Map<MetricName, ? extends Metric> metrics, String name) {
    return metrics.entrySet().stream()
        .filter(e -> e.getKey().name().equals(name))
        .filter(e -> e.getKey().group().equals("producer-metrics"))
        .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
        .sum();
  }

  /** One SASL/PLAIN exchange (handshake, then authenticate) as {@code user} on {@code raw}. */
  private static SaslAuthenticateResponse sasl(RawKafkaClient raw, String user) throws IOException {
    SaslHandshakeResponse handshake =
        (SaslHandshakeResponse)
            raw.call(
                ApiKeys.SASL_HANDSHAKE,
                (short) 1,
                new SaslHandshakeRequestData().setMechanism("PLAIN"));
    assertEquals(Errors.NONE, handshake.error());
    return (SaslAuthenticateResponse)
        raw.call(
            ApiKeys.SASL_AUTHENTICATE,
            (short) 2,
            new SaslAuthenticateRequestData()
                .setAuthBytes(
                    ("\u0000" + user + "\u0000" + PASSWORD).getBytes(StandardCharsets.UTF_8)));
  }

  /** A raw connection that authenticated as {@code user}; returns the lifetime it was told. */
  private static long authenticate(RawKafkaClient raw, String user) throws IOException {
    SaslAuthenticateResponse answer = sasl(raw, user);
    assertEquals(Errors.NONE, answer.error(), answer.errorMessage());
    return answer.data().sessionLifetimeMs();
  }

  private static MetadataResponse metadata(RawKafkaClient raw) throws IOException {
    return (MetadataResponse)
        raw.call(
            ApiKeys.METADATA,
            (short) 12,
            new MetadataRequestData()
                .setTopics(
                    List.of(new MetadataRequestData.MetadataRequestTopic().setName("events"))));
  }

  @Test
  void kafkaClientsAuthenticateAgainOnTheSameConnection() throws Exception {
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(client("alice"))) {
      int sent = 0;
      long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (metric(producer.metrics(), "successful-reauthentication-total") < 2
          && System.nanoTime() < end) {
        producer.send(new ProducerRecord<>("events", "k", "v" + sent)).get(30, TimeUnit.SECONDS);
        sent++;
      }
      Map<MetricName, ? extends Metric> metrics = producer.metrics();
      assertTrue(
          metric(metrics, "successful-reauthentication-total") >= 2,
          "re-authenticated twice within 60 s of 3 s sessions, " + sent + " records sent");
      assertEquals(0, metric(metrics, "failed-reauthentication-total"));
      assertEquals(
          0, metric(metrics, "connection-close-total"), "no connection was closed by the node");
    }
  }

  @Test
  void aSessionPastItsLifetimeIsClosedAtItsNextRequest() throws Exception {
    try (RawKafkaClient raw = new RawKafkaClient(node.port())) {
      long lifetime = authenticate(raw, "bob");
      long authenticatedAt = System.nanoTime();
      assertEquals(LIFETIME.toMillis(), lifetime, "KIP-368's session_lifetime_ms");
      assertEquals(Errors.NONE, metadata(raw).errors().getOrDefault("events", Errors.NONE));
      // the condition is the clock itself: the session's lifetime has passed
      KafkaTestNode.await(
          Duration.ofSeconds(30),
          () -> System.nanoTime() - authenticatedAt > LIFETIME.toNanos() + 200_000_000L);
      assertThrows(IOException.class, () -> metadata(raw));
    }
  }

  @Test
  void reAuthenticationCannotChangeTheUser() throws Exception {
    try (RawKafkaClient raw = new RawKafkaClient(node.port())) {
      authenticate(raw, "paul");
      assertEquals(Errors.SASL_AUTHENTICATION_FAILED, sasl(raw, "alice").error());
    }
  }

  @Test
  void aDeletedUserIsRefusedAtTheNextRequest() throws Exception {
    try (RawKafkaClient raw = new RawKafkaClient(node.port())) {
      authenticate(raw, "dora");
      assertEquals(Errors.NONE, metadata(raw).errors().getOrDefault("events", Errors.NONE));
      join(security.deleteUser("dora"));
      assertThrows(IOException.class, () -> metadata(raw));
    }
  }

  @Test
  void aChangedPasswordIsRefusedAtTheNextRequest() throws Exception {
    try (RawKafkaClient raw = new RawKafkaClient(node.port())) {
      authenticate(raw, "pete");
      assertEquals(Errors.NONE, metadata(raw).errors().getOrDefault("events", Errors.NONE));
      join(security.changePassword("pete", "another-" + UUID.randomUUID()));
      assertThrows(IOException.class, () -> metadata(raw));
    }
  }

  @Test
  void aProducerWhosePasswordChangedStops() throws Exception {
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(client("dave"))) {
      producer.send(new ProducerRecord<>("events", "k", "before")).get(30, TimeUnit.SECONDS);
      join(security.changePassword("dave", "another-" + UUID.randomUUID()));
      // the connection is closed at the next request; the new one is refused (the record then
      // times out in the producer, as with Kafka)
      assertThrows(
          ExecutionException.class,
          () ->
              producer
                  .send(new ProducerRecord<>("events", "k", "after"))
                  .get(30, TimeUnit.SECONDS));
      assertTrue(metric(producer.metrics(), "failed-authentication-total") >= 1);
    }
  }
}
