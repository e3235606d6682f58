package dev.cohort.platform;

import com.typesafe.config.Config;
import dev.cohort.cluster.ClusterMetrics;
import dev.cohort.cluster.CrashDetectionSettings;
import dev.cohort.cluster.Membership;
import dev.cohort.cluster.NodeConfig;
import dev.cohort.cluster.NodeSettings;
import dev.cohort.etcd.EtcdServer;
import dev.cohort.gateway.ApRoutes;
import dev.cohort.gateway.AuthRoutes;
import dev.cohort.gateway.CounterRoutes;
import dev.cohort.gateway.Endpoint;
import dev.cohort.gateway.EtcdGatewayRoutes;
import dev.cohort.gateway.Gateway;
import dev.cohort.gateway.GatewaySettings;
import dev.cohort.gateway.JournalWriteGuard;
import dev.cohort.gateway.KvRoutes;
import dev.cohort.gateway.LogRoutes;
import dev.cohort.gateway.MemberRoutes;
import dev.cohort.gateway.NodeRoutes;
import dev.cohort.gateway.ProjectionRoutes;
import dev.cohort.gateway.SagaRoutes;
import dev.cohort.gateway.ServedEndpoints;
import dev.cohort.gateway.TrainingRoutes;
import dev.cohort.kafka.KafkaListener;
import dev.cohort.kafka.KafkaSettings;
import dev.cohort.kv.Kv;
import dev.cohort.kv.KvService;
import dev.cohort.kv.ap.ApKeyspaces;
import dev.cohort.kv.ap.ApService;
import dev.cohort.log.StreamLog;
import dev.cohort.log.StreamLogService;
import dev.cohort.observability.Metrics;
import dev.cohort.persistence.JournalProbe;
import dev.cohort.persistence.PersistenceSettings;
import dev.cohort.platform.internal.StreamLogDatasets;
import dev.cohort.saga.SagaService;
import dev.cohort.saga.Sagas;
import dev.cohort.security.Audit;
import dev.cohort.security.Security;
import dev.cohort.security.SecurityService;
import dev.cohort.sharding.Counters;
import dev.cohort.sharding.ShardMetrics;
import dev.cohort.sharding.ShardingSettings;
import dev.cohort.training.TrainingJobs;
import dev.cohort.training.TrainingSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The embedded entry point: starts a Cohort node inside the caller's JVM.
 *
 * <pre>{@code
 * try (CohortNode node = Cohort.start(CohortConfig.builder().dataDir(Path.of("data")).build())) {
 *   long value = node.counters().increment("visits", 1).toCompletableFuture().join();
 * }
 * }</pre>
 *
 * Several nodes can run in one JVM when they use different ports and data directories.
 */
public final class Cohort {
  private static final long BIND_TIMEOUT_SECONDS = 30;
  private static final java.time.Duration SHARD_METRICS_INTERVAL = java.time.Duration.ofSeconds(10);

  private Cohort() {}

  /**
   * Starts a node and returns once its gateway and its etcd listener are bound. The node joins its
   * seed nodes (or itself) in the background; {@code GET /health/ready} turns 200 when it is Up and
   * its journal answers.
   *
   * @throws IllegalArgumentException when the configuration is invalid, naming the key
   * @throws dev.cohort.persistence.JournalUnavailableException when the journal cannot be prepared
   */
  public static CohortNode start(CohortConfig cohortConfig) {
    Config config = KafkaListener.withEndpointRole(NodeConfig.assemble(cohortConfig.userConfig()));
    NodeSettings node = NodeSettings.create(config);
    Path dataDir = node.dataDir().toAbsolutePath();
    createDirectories(dataDir);
    new JournalProbe(PersistenceSettings.create(config)).prepareSchema();

    ActorSystem<Void> system =
        ActorSystem.create(Behaviors.empty(), NodeSettings.SYSTEM_NAME, config);
    try {
      Metrics.get(system);
      ClusterMetrics.register(system);
      ShardMetrics.start(system, SHARD_METRICS_INTERVAL);
      Membership.explainRefusedJoin(system);
      Membership.joinIfAlone(system, node);
      Security security = SecurityService.start(system);
      GatewaySettings gateway = GatewaySettings.create(config);
      KafkaSettings kafkaSettings = KafkaSettings.create(config);
      SecurityService.checkExposure(
          system, security, listenerHosts(config, gateway, kafkaSettings));
      Membership.downCrashedMembers(system, CrashDetectionSettings.create(config));
      Counters counters = Counters.start(system);
      Kv kv = KvService.start(system);
      ApKeyspaces ap = ApService.start(system);
      EtcdServer etcd = EtcdServer.start(system, kv, security);
      StreamLog log = StreamLogService.start(system);
      Sagas sagas = SagaService.start(system, kv, log);
      TrainingJobs training =
          TrainingJobs.start(
              system,
              TrainingSettings.create(config),
              new StreamLogDatasets(log),
              ShardingSettings.create(config).askTimeout());
      List<Route> routes =
          List.of(
              new NodeRoutes(system).route(),
              new MemberRoutes(system).route(),
              new JournalWriteGuard(system)
                  .guard(
                      List.of(
                          new AuthRoutes(security, Audit.create(system)).route(),
                          new CounterRoutes(counters).route(),
                          new ApRoutes(kv, ap).route(),
                          new KvRoutes(kv, ap).route(),
                          new EtcdGatewayRoutes(etcd.json()).route(),
                          new LogRoutes(log).route(),
                          new SagaRoutes(sagas).route(),
                          new ProjectionRoutes(sagas.projections()).route(),
                          new TrainingRoutes(training).route())));
      InetSocketAddress http =
          Gateway.bind(system, gateway, security, routes)
              .toCompletableFuture()
              .get(BIND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      InetSocketAddress kafka =
          kafkaSettings.enabled()
              ? KafkaListener.start(system, kafkaSettings, log, security).address()
              : null;
      List<Endpoint> endpoints = ServedEndpoints.get(system).all();
      return new CohortNode(
          system, http, endpoints, etcd, kafka, dataDir, counters, kv, log, sagas, training,
          security);
    } catch (ExecutionException e) {
      system.terminate();
      throw new IllegalStateException(
          "cannot start the HTTP gateway: " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      system.terminate();
      throw new IllegalStateException("the HTTP gateway did not bind within 30 s", e);
    } catch (InterruptedException e) {
      system.terminate();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting", e);
    } catch (RuntimeException e) {
      system.terminate();
      throw e;
    }
  }

  /** The hosts of the listeners this node opens: the gateway's, and Kafka's and etcd's when on. */
  private static List<String> listenerHosts(
      Config config, GatewaySettings gateway, KafkaSettings kafka) {
    List<String> hosts = new java.util.ArrayList<>(List.of(gateway.host()));
    if (kafka.enabled()) {
      hosts.add(config.getString("cohort.kafka.host"));
    }
    if (config.getInt("cohort.etcd.port") != 0) {
      hosts.add(config.getString("cohort.etcd.host"));
    }
    return hosts;
  }

  private static void createDirectories(Path dataDir) {
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create data directory " + dataDir, e);
    }
  }
}
