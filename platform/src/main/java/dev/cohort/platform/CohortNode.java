package dev.cohort.platform;

import dev.cohort.etcd.EtcdServer;
import dev.cohort.gateway.Endpoint;
import dev.cohort.kv.Kv;
import dev.cohort.log.StreamLog;
import dev.cohort.saga.Projections;
import dev.cohort.saga.Sagas;
import dev.cohort.security.Security;
import dev.cohort.sharding.Counters;
import dev.cohort.training.TrainingJobs;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * A running Cohort node: its actor system, its services' embedded APIs and its gateway address.
 * {@link #close()} shuts it down gracefully (leave the cluster, hand shards off, close the gateway
 * and the journal) and waits until that is done. Thread-safe.
 */
public final class CohortNode implements AutoCloseable {
  private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(60);

  private final ActorSystem<Void> system;
  private final InetSocketAddress httpAddress;
  private final List<Endpoint> httpEndpoints;
  private final EtcdServer etcd;
  private final InetSocketAddress kafkaAddress;
  private final Path dataDir;
  private final Counters counters;
  private final Kv kv;
  private final StreamLog log;
  private final Sagas sagas;
  private final TrainingJobs training;
  private final Security security;

  CohortNode(
      ActorSystem<Void> system,
      InetSocketAddress httpAddress,
      List<Endpoint> httpEndpoints,
      EtcdServer etcd,
      InetSocketAddress kafkaAddress,
      Path dataDir,
      Counters counters,
      Kv kv,
      StreamLog log,
      Sagas sagas,
      TrainingJobs training,
      Security security) {
    this.system = system;
    this.httpAddress = httpAddress;
    this.httpEndpoints = List.copyOf(httpEndpoints);
    this.etcd = etcd;
    this.kafkaAddress = kafkaAddress;
    this.dataDir = dataDir;
    this.counters = counters;
    this.kv = kv;
    this.log = log;
    this.sagas = sagas;
    this.training = training;
    this.security = security;
  }

  /**
   * Users, roles, tokens and the auth switch of the listeners (HTTP, Kafka, etcd). The embedded
   * APIs themselves are never checked: they run as the embedding application, with full rights.
   */
  public Security security() {
    return security;
  }

  /** Data-parallel training jobs (submit, get, cancel). */
  public TrainingJobs training() {
    return training;
  }

  /** Durable sagas: definitions, instances, compensation. */
  public Sagas sagas() {
    return sagas;
  }

  /**
   * CQRS projections: read models in kv keyspaces built from topics (same as
   * sagas().projections()).
   */
  public Projections projections() {
    return sagas.projections();
  }

  /** The stream log: topics, producers, consumers and consumer groups. */
  public StreamLog log() {
    return log;
  }

  /** The CP key-value service: keyspaces, keys, transactions, leases, watches, locks. */
  public Kv kv() {
    return kv;
  }

  /** The node's typed actor system, for users who run their own actors next to Cohort's. */
  public ActorSystem<Void> system() {
    return system;
  }

  /** Where the HTTP gateway listens. */
  public InetSocketAddress httpAddress() {
    return httpAddress;
  }

  /**
   * Every endpoint the gateway serves, as its route classes declare them (method and path
   * template), in matching order.
   */
  public List<Endpoint> httpEndpoints() {
    return httpEndpoints;
  }

  /** Where the etcd v3 gRPC listener listens, or empty when {@code cohort.etcd.port} is 0. */
  public Optional<InetSocketAddress> etcdAddress() {
    return etcd.address();
  }

  /** Where the Kafka listener accepts connections; empty when {@code cohort.kafka.port} is 0. */
  public java.util.Optional<InetSocketAddress> kafkaAddress() {
    return java.util.Optional.ofNullable(kafkaAddress);
  }

  /** The node's data directory (absolute). */
  public Path dataDir() {
    return dataDir;
  }

  /** Durable named counters, the foundation's smoke service. */
  public Counters counters() {
    return counters;
  }

  /** Completes when the actor system has terminated, for whatever reason. */
  public java.util.concurrent.CompletionStage<org.apache.pekko.Done> whenTerminated() {
    return system.getWhenTerminated();
  }

  @Override
  public void close() {
    try {
      CoordinatedShutdown.get(system)
          .runAll(CoordinatedShutdown.unknownReason())
          .toCompletableFuture()
          .get(SHUTDOWN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      system
          .getWhenTerminated()
          .toCompletableFuture()
          .get(SHUTDOWN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while shutting down", e);
    } catch (Exception e) {
      throw new IllegalStateException("node did not shut down within " + SHUTDOWN_TIMEOUT, e);
    }
  }
}
