package dev.cohort.kafka;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.cluster.NodeConfig;
import dev.cohort.log.StreamLog;
import dev.cohort.log.StreamLogService;
import dev.cohort.persistence.JournalProbe;
import dev.cohort.persistence.PersistenceSettings;
import dev.cohort.security.Security;
import dev.cohort.security.SecurityService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * A one-node Cohort cluster for the Kafka-protocol tests: a cluster member on the embedded H2
 * journal in {@code dataDir} (so a restart on the same directory recovers), the stream-log, and the
 * Kafka listener on {@code kafkaPort} of 127.0.0.1.
 */
final class KafkaTestNode implements AutoCloseable {
  private final ActorTestKit kit;
  private final StreamLog log;
  private final KafkaListener listener;
  private final Security security;

  private KafkaTestNode(
      ActorTestKit kit, StreamLog log, KafkaListener listener, Security security) {
    this.kit = kit;
    this.log = log;
    this.listener = listener;
    this.security = security;
  }

  static KafkaTestNode start(Path dataDir, int kafkaPort, String overrides) {
    return start(dataDir, kafkaPort, overrides, null);
  }

  /**
   * A node that joins {@code seed}'s cluster (or forms its own when null). Each node keeps its own
   * H2 journal: tests with several nodes must not move entities between them.
   */
  static KafkaTestNode start(Path dataDir, int kafkaPort, String overrides, KafkaTestNode seed) {
    Config base =
        ConfigFactory.parseString(overrides)
            .withFallback(
                ConfigFactory.parseString(
                    """
                    pekko.actor.provider = cluster
                    pekko.remote.artery.canonical.hostname = 127.0.0.1
                    pekko.remote.artery.canonical.port = 0
                    pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                    pekko.loglevel = WARNING
                    pekko.remote.artery.advanced.maximum-frame-size = 4MiB
                    cohort.node.data-dir = "%s"
                    cohort.persistence.journal = h2
                    cohort.log.partition.retention-check-interval = 1h
                    cohort.log.group.check-interval = 200ms
                    cohort.kafka.port = %d
                    """
                        .formatted(dataDir.toString().replace("\\", "/"), kafkaPort)))
            .withFallback(NodeConfig.pekkoDefaults());
    PersistenceSettings persistence = PersistenceSettings.create(base);
    new JournalProbe(persistence).prepareSchema();
    Config config = KafkaListener.withEndpointRole(persistence.pluginConfig().withFallback(base));
    ActorTestKit kit = ActorTestKit.create("cohort", config);
    Cluster cluster = Cluster.get(kit.system());
    cluster
        .manager()
        .tell(Join.create(seed == null ? cluster.selfMember().address() : seed.address()));
    await(Duration.ofSeconds(30), () -> cluster.selfMember().status() == MemberStatus.up());
    StreamLog log = StreamLogService.start(kit.system());
    Security security = SecurityService.start(kit.system());
    KafkaListener listener =
        KafkaListener.start(
            kit.system(), KafkaSettings.create(kit.system().settings().config()), log, security);
    return new KafkaTestNode(kit, log, listener, security);
  }

  /** A port nothing listens on right now (the listener takes it a moment later). */
  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String bootstrap() {
    return "127.0.0.1:" + listener.address().getPort();
  }

  int port() {
    return listener.address().getPort();
  }

  org.apache.pekko.actor.Address address() {
    return Cluster.get(kit.system()).selfMember().address();
  }

  int upMembers() {
    int up = 0;
    for (org.apache.pekko.cluster.Member m : Cluster.get(kit.system()).state().getMembers()) {
      if (m.status() == MemberStatus.up()) {
        up++;
      }
    }
    return up;
  }

  StreamLog log() {
    return log;
  }

  /** The node's users and roles (auth is off until a test enables it). */
  Security security() {
    return security;
  }

  /** Waits until the security registry answers (it starts with the cluster). */
  void awaitSecurity() {
    await(
        Duration.ofSeconds(60),
        () -> {
          try {
            security.enabled().toCompletableFuture().get(30, TimeUnit.SECONDS);
            return true;
          } catch (Exception e) {
            return false;
          }
        });
  }

  /**
   * Client settings for this node: SASL_PLAINTEXT with PLAIN as {@code user} (none when null),
   * string serializers and short timeouts.
   */
  Properties client(String user, String password) {
    Properties p = new Properties();
    p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    if (user != null) {
      p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
      p.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
      p.put(
          SaslConfigs.SASL_JAAS_CONFIG,
          "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
              + user
              + "\" password=\""
              + password
              + "\";");
    }
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "10000");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    return p;
  }

  static void await(Duration deadline, BooleanSupplier condition) {
    Instant end = Instant.now().plus(deadline);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(end)) {
        throw new AssertionError("condition not met within " + deadline);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  /**
   * Leaves the cluster gracefully: sharding hands this node's entities to the others before its
   * system terminates; then the listener closes.
   */
  void leave(Duration deadline) {
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(org.apache.pekko.cluster.typed.Leave.create(address()));
    kit.system()
        .getWhenTerminated()
        .toCompletableFuture()
        .orTimeout(deadline.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .join();
    listener.close();
  }

  @Override
  public void close() {
    listener.close();
    kit.shutdownTestKit();
  }
}
