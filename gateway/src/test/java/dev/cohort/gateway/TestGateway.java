package dev.cohort.gateway;

import com.typesafe.config.ConfigFactory;
import dev.cohort.security.AuthDecision;
import dev.cohort.security.Authorizer;
import java.net.InetSocketAddress;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * A gateway bound on a free port over a test's routes, in a local actor system with the Pekko
 * settings a node applies ({@code cohort-pekko.conf}) and the test's settings.
 */
final class TestGateway implements AutoCloseable {
  /** The tests' routes are about HTTP, not permissions: every request is allowed. */
  static final Authorizer ALLOW_ALL =
      (token, access, resources) ->
          java.util.concurrent.CompletableFuture.completedFuture(AuthDecision.allowed(""));

  private final ActorTestKit testKit;
  private final int port;

  private TestGateway(ActorTestKit testKit, int port) {
    this.testKit = testKit;
    this.port = port;
  }

  /** {@code config}: the test's HOCON, e.g. {@code cohort.gateway.max-body-bytes = 1KiB}. */
  static TestGateway start(String config, Route route) throws Exception {
    return start(config, ALLOW_ALL, route);
  }

  /** The same, with the permission checks answered by {@code authorizer}. */
  static TestGateway start(String config, Authorizer authorizer, Route route) throws Exception {
    ActorTestKit testKit =
        ActorTestKit.create(
            ConfigFactory.parseString(
                    "pekko.actor.provider = local\ncohort.gateway.port = 0\n" + config)
                .withFallback(ConfigFactory.parseResources("cohort-pekko.conf"))
                .withFallback(ConfigFactory.load()));
    GatewaySettings settings = GatewaySettings.create(testKit.system().settings().config());
    InetSocketAddress address =
        Gateway.bind(testKit.system(), settings, authorizer, List.of(route))
            .toCompletableFuture()
            .get();
    return new TestGateway(testKit, address.getPort());
  }

  int port() {
    return port;
  }

  String base() {
    return "http://127.0.0.1:" + port;
  }

  ActorSystem<Void> system() {
    return testKit.system();
  }

  @Override
  public void close() {
    testKit.shutdownTestKit();
  }
}
