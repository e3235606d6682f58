package dev.cohort.etcd;

import dev.cohort.etcd.internal.CallExecutors;
import dev.cohort.etcd.internal.EtcdAuthInterceptor;
import dev.cohort.etcd.internal.EtcdAuthService;
import dev.cohort.etcd.internal.EtcdClusterService;
import dev.cohort.etcd.internal.EtcdElectionService;
import dev.cohort.etcd.internal.EtcdKvService;
import dev.cohort.etcd.internal.EtcdLeaseService;
import dev.cohort.etcd.internal.EtcdLockService;
import dev.cohort.etcd.internal.EtcdMaintenanceService;
import dev.cohort.etcd.internal.EtcdStore;
import dev.cohort.etcd.internal.EtcdWatchService;
import dev.cohort.kv.Kv;
import dev.cohort.security.Audit;
import dev.cohort.security.Security;
import dev.cohort.security.SecuritySettings;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;

/**
 * A node's etcd v3 endpoint: the gRPC listener (grpc-java's Netty server with the generated service
 * bases of {@code io.etcd:jetcd-grpc}) and the JSON gateway calls ({@link #json()}) over the same
 * services, all serving the one-partition keyspace {@code cohort.etcd.keyspace}. The gRPC listener
 * authenticates and checks permissions as etcd does ({@code Auth/Authenticate}, the {@code token}
 * metadata, key-range permissions) against the node's {@link Security}. The listener takes part in
 * coordinated shutdown (it stops accepting, lets calls finish within {@code shutdown-deadline},
 * then closes). Thread-safe.
 */
public final class EtcdServer {
  private final EtcdStore store;
  private final EtcdJson json;
  private final Server server;

  private EtcdServer(EtcdStore store, EtcdJson json, Server server) {
    this.store = store;
    this.json = json;
    this.server = server;
  }

  /** Starts the endpoint with {@code cohort.etcd} of the system's configuration. */
  public static EtcdServer start(ActorSystem<?> system, Kv kv, Security security) {
    return start(system, kv, security, EtcdSettings.create(system.settings().config()));
  }

  /**
   * Starts the endpoint: binds the listener unless the port is 0 (then only {@link #json()}
   * serves). Returns once bound; the keyspace is created on first use.
   *
   * @throws UncheckedIOException when the port cannot be bound
   */
  public static EtcdServer start(
      ActorSystem<?> system, Kv kv, Security security, EtcdSettings settings) {
    EtcdStore store = new EtcdStore(system, kv, settings);
    EtcdKvService kvService = new EtcdKvService(store);
    EtcdLeaseService leases = new EtcdLeaseService(store);
    EtcdWatchService watches = new EtcdWatchService(store);
    EtcdJson json = new EtcdJson(store, kvService, leases, watches);
    if (!settings.enabled()) {
      return new EtcdServer(store, json, null);
    }
    Audit audit = Audit.create(system);
    SecuritySettings securitySettings = SecuritySettings.create(system.settings().config());
    Server server =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(settings.host(), Math.max(settings.port(), 0)))
            .maxInboundMessageSize(settings.maxRequestBytes())
            // calls run on the event loop unless auth may block them (CallExecutors)
            .directExecutor()
            .callExecutor(
                new CallExecutors(
                    security, system.dispatchers().lookup(DispatcherSelector.blocking())))
            .addService(kvService)
            .addService(watches)
            .addService(leases)
            .addService(new EtcdLockService(store))
            .addService(new EtcdElectionService(store))
            .addService(new EtcdClusterService(store))
            .addService(new EtcdMaintenanceService(store))
            .addService(new EtcdAuthService(store, security, audit))
            .intercept(
                new EtcdAuthInterceptor(
                    security,
                    audit,
                    settings.keyspace(),
                    securitySettings.askTimeout(),
                    securitySettings.streamCheckInterval()))
            .build();
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot bind the etcd listener on "
              + settings.host()
              + ":"
              + settings.port()
              + " (cohort.etcd.port; 0 turns it off)",
          e);
    }
    store.boundPort(server.getPort());
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseServiceUnbind(),
            "etcd-listener-" + server.getPort(),
            () -> {
              server.shutdown();
              store.abortStreams();
              return CompletableFuture.supplyAsync(
                  () -> {
                    try {
                      if (!server.awaitTermination(
                          settings.shutdownDeadline().toMillis(), TimeUnit.MILLISECONDS)) {
                        server.shutdownNow();
                      }
                    } catch (InterruptedException e) {
                      server.shutdownNow();
                      Thread.currentThread().interrupt();
                    }
                    return Done.getInstance();
                  });
            });
    return new EtcdServer(store, json, server);
  }

  /** Where the gRPC listener listens, or empty when it is off. */
  public Optional<InetSocketAddress> address() {
    return server == null
        ? Optional.empty()
        : Optional.of(new InetSocketAddress(store.settings().host(), server.getPort()));
  }

  /**
   * etcd's JSON gateway calls over the same services, for the HTTP gateway's {@code /v3/} paths.
   */
  public EtcdJson json() {
    return json;
  }
}
