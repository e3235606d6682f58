package dev.cohort.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import dev.cohort.cluster.ClusterStatus;
import dev.cohort.cluster.Membership;
import dev.cohort.cluster.NodeConfig;
import dev.cohort.cluster.NodeSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The management endpoints on a real three-member cluster (three ActorSystems in this JVM): one
 * member's gateway describes the others, makes one leave and marks another down, and each of them
 * really ends; bad requests change nothing.
 */
@Tag("integration")
class MemberRoutesTest {
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<ActorSystem<Void>> systems = new ArrayList<>();

  @AfterEach
  void terminate() throws Exception {
    systems.forEach(ActorSystem::terminate);
    for (ActorSystem<Void> system : systems) {
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void describeLeaveAndDownMembersThroughTheGateway() throws Exception {
    Path dir = Files.createTempDirectory("cohort-members");
    int seedPort = freePort();
    ActorSystem<Void> first = start(seedPort, seedPort, dir.resolve("n1"));
    int secondPort = freePort();
    ActorSystem<Void> second = start(secondPort, seedPort, dir.resolve("n2"));
    int thirdPort = freePort();
    ActorSystem<Void> third = start(thirdPort, seedPort, dir.resolve("n3"));
    for (ActorSystem<Void> system : systems) {
      Membership.whenUp(system, DEADLINE).toCompletableFuture().get();
    }
    await("three Up members", () -> ClusterStatus.of(first).count("Up") == 3);
    InetSocketAddress gateway =
        Gateway.bind(
                first,
                GatewaySettings.create(first.settings().config()),
                TestGateway.ALLOW_ALL,
                List.of(new MemberRoutes(first).route()))
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    String base = "http://127.0.0.1:" + gateway.getPort() + "/v1/cluster/members/";
    String secondAddress = "pekko://cohort@127.0.0.1:" + secondPort;

    for (String name :
        List.of(secondAddress, "cohort%40127.0.0.1%3A" + secondPort, "127.0.0.1:" + secondPort)) {
      HttpResponse<String> found = get(base + name);
      assertEquals(200, found.statusCode(), name + ": " + found.body());
      JsonNode member = Json.MAPPER.readTree(found.body());
      assertEquals(secondAddress, member.get("address").asText());
      assertEquals("Up", member.get("status").asText());
      assertTrue(member.get("reachable").asBoolean());
      assertEquals(false, member.get("oldest").asBoolean(), "the seed is the oldest");
    }
    assertTrue(
        Json.MAPPER.readTree(get(base + "127.0.0.1:" + seedPort).body()).get("oldest").asBoolean());
    assertError(get(base + "127.0.0.1:1"), 404, "member_not_found");

    assertError(
        put(base + "127.0.0.1:" + secondPort, "{\"operation\":\"explode\"}"),
        400,
        "unknown_operation");
    assertError(put(base + "127.0.0.1:" + secondPort, "{}"), 400, "invalid_field");
    assertError(put(base + "127.0.0.1:1", "{\"operation\":\"leave\"}"), 404, "member_not_found");
    assertEquals(3, ClusterStatus.of(first).count("Up"), "a refused request changed membership");

    HttpResponse<String> leave = put(base + "127.0.0.1:" + secondPort, "{\"operation\":\"leave\"}");
    assertEquals(200, leave.statusCode(), leave.body());
    assertEquals(
        "Leaving " + secondAddress, Json.MAPPER.readTree(leave.body()).get("message").asText());
    second.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertTrue(Membership.leftOnRequest(second), Membership.endReason(second));
    await("the leaver removed", () -> ClusterStatus.of(first).members().size() == 2);
    assertError(get(base + "127.0.0.1:" + secondPort), 404, "member_not_found");

    HttpResponse<String> down =
        put(base + "cohort@127.0.0.1:" + thirdPort, "{\"operation\":\"DOWN\"}");
    assertEquals(200, down.statusCode(), down.body());
    await("the downed member removed", () -> ClusterStatus.of(first).members().size() == 1);
    third.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertTrue(Membership.endReason(third).contains("downed"), Membership.endReason(third));
    assertEquals("Up", ClusterStatus.of(first).selfStatus());
  }

  private ActorSystem<Void> start(int port, int seedPort, Path dataDir) {
    ActorSystem<Void> system =
        ActorSystem.create(
            Behaviors.empty(),
            NodeSettings.SYSTEM_NAME,
            NodeConfig.assemble(
                ConfigFactory.parseString(
                    // membership only: no entity of this test keeps events
                    ("cohort.node { remote-port = %d, seeds = [\"127.0.0.1:%d\"], data-dir = \"%s\","
                            + " allow-local-journal-in-cluster = on }, cohort.gateway.port = 0")
                        .formatted(port, seedPort, dataDir))));
    systems.add(system);
    return system;
  }

  private static void assertError(HttpResponse<String> response, int status, String code)
      throws IOException {
    assertEquals(status, response.statusCode(), response.body());
    assertEquals(code, Json.MAPPER.readTree(response.body()).path("error").path("code").asText());
  }

  private HttpResponse<String> get(String uri) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(uri)).timeout(DEADLINE).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> put(String uri, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(uri))
            .timeout(DEADLINE)
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + DEADLINE + ": " + what);
      }
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
