package dev.cohort.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.cluster.tls.DevCertificates;
import dev.cohort.cluster.tls.Pem;
import dev.cohort.cluster.tls.SslContexts;
import dev.cohort.gateway.Gateway;
import dev.cohort.gateway.GatewaySettings;
import dev.cohort.security.AuthDecision;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * What TLS costs on the gateway: one trivial route ({@code GET /ping}) bound twice in one actor
 * system, over HTTP and over HTTPS (a development EC P-256 certificate, TLSv1.3), driven by {@code
 * clients} threads: keep-alive requests over each, and over HTTPS a new connection (full handshake)
 * for every request. The route does no work, so the differences are the TLS layer's.
 */
final class GatewayTlsWorkload implements Bench.Workload {

  @Override
  public String description() {
    return "gateway HTTP vs HTTPS (keep-alive, and a handshake per request); clients=4 seconds=5";
  }

  @Override
  public void run(Bench.Params params) throws Exception {
    int clients = params.intValue("clients", 4);
    int seconds = params.intValue("seconds", 5);
    Path dir = Files.createTempDirectory("cohort-bench-tls");
    DevCertificates.writeDevSet(dir, 1, List.of(), "bench", Duration.ofDays(1));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "bench-tls", config(dir));
    try {
      Route ping =
          new AllDirectives() {}.path("ping", () -> new AllDirectives() {}.complete("pong"));
      Config plain =
          ConfigFactory.parseString("cohort.gateway.tls.enabled = off")
              .withFallback(system.settings().config());
      int httpPort = bind(system, plain, ping);
      int httpsPort = bind(system, system.settings().config(), ping);
      SocketFactory tls =
          SslContexts.create(null, Pem.trustManager(dir.resolve("ca.crt"))).getSocketFactory();
      measure("http", new PlainHttp("127.0.0.1", httpPort), false, clients, seconds);
      measure("https", new PlainHttp("127.0.0.1", httpsPort, tls), false, clients, seconds);
      measure(
          "https_handshake_per_request",
          new PlainHttp("127.0.0.1", httpsPort, tls),
          true,
          clients,
          seconds);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static Config config(Path dir) {
    return ConfigFactory.parseString(
            """
            pekko.actor.provider = local
            pekko.loglevel = WARNING
            cohort.gateway { port = 0, tls { enabled = on, cert-file = "%s", key-file = "%s" } }
            """
                .formatted(dir.resolve("node-1.crt"), dir.resolve("node-1.key")))
        .withFallback(ConfigFactory.load());
  }

  private static int bind(ActorSystem<Void> system, Config config, Route route) throws Exception {
    InetSocketAddress address =
        Gateway.bind(
                system,
                GatewaySettings.create(config),
                (token, access, resources) ->
                    CompletableFuture.completedFuture(AuthDecision.allowed("")),
                List.of(route))
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    return address.getPort();
  }

  private static void measure(
      String mode, PlainHttp http, boolean reconnect, int clients, int seconds) throws Exception {
    for (int i = 0; i < 200; i++) {
      http.send("GET", "/ping", null); // warm-up: JIT, the TLS session machinery
    }
    http.disconnect();
    Latencies latencies = new Latencies();
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    CompletableFuture<?>[] loops = new CompletableFuture<?>[clients];
    for (int c = 0; c < clients; c++) {
      loops[c] =
          CompletableFuture.runAsync(
              () -> {
                try {
                  while (System.nanoTime() < end) {
                    long t0 = System.nanoTime();
                    http.send("GET", "/ping", null);
                    if (reconnect) {
                      http.disconnect();
                    }
                    latencies.record(System.nanoTime() - t0);
                  }
                  http.disconnect();
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              },
              Thread::startVirtualThread);
    }
    CompletableFuture.allOf(loops).get(seconds + 60L, TimeUnit.SECONDS);
    double elapsed = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "bench=gateway_tls mode=%s clients=%d requests=%d req_per_s=%.0f p50_ms=%.2f p99_ms=%.2f%n",
        mode,
        clients,
        latencies.count(),
        latencies.count() / elapsed,
        latencies.percentileMillis(50),
        latencies.percentileMillis(99));
  }
}
