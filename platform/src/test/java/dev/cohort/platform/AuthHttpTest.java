package dev.cohort.platform;

import static dev.cohort.platform.HttpTestClient.JSON;
import static dev.cohort.platform.HttpTestClient.assertError;
import static dev.cohort.platform.HttpTestClient.ok;
import static dev.cohort.testkit.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cohort.gateway.Endpoint;
import dev.cohort.gateway.Guard;
import dev.cohort.security.Audit;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Authentication and authorisation through the gateway of an embedded node with auth enabled: the
 * token exchange, every permission edge (allowed, denied, revoked, expired), watches closed on
 * revocation, a permission check on every served route, rate limiting, audit lines and metrics,
 * and, last, that no password or token of the run reached the logs, the metrics or {@code
 * /v1/cluster}.
 */
@Tag("integration")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuthHttpTest {
  private static final String ROOT_PASSWORD = "root-pw-" + UUID.randomUUID();
  private static final String ALICE_PASSWORD = "alice-pw-" + UUID.randomUUID();
  private static final List<String> secrets = new CopyOnWriteArrayList<>();
  private static LogCapture logs;
  private static CohortNode node;
  private static HttpTestClient http;
  private static String rootToken;

  @BeforeAll
  static void start() throws Exception {
    secrets.add(ROOT_PASSWORD);
    secrets.add(ALICE_PASSWORD);
    logs = new LogCapture();
    node =
        Cohort.start(
            HttpTestClient.embeddedNode("cohort-auth-http")
                .override("cohort.security.password-iterations", 1000)
                .override("cohort.security.failed-attempts.max", 3)
                .override("cohort.security.failed-attempts.window", "2s")
                .override("cohort.security.stream-check-interval", "200ms")
                .build());
    http = new HttpTestClient(node);
    // Auth is off by default: the first administrator is created without credentials.
    assertEquals(200, http.send("GET", "/v1/keyspaces", null).statusCode());
    assertError(http.send("POST", "/v1/auth/enable", null), 409, "root_user_required");
    ok(
        http.send(
            "PUT",
            "/v1/auth/users/root",
            "{\"password\":\"" + ROOT_PASSWORD + "\",\"roles\":[\"root\"]}"));
    ok(http.send("POST", "/v1/auth/enable", null));
    rootToken = token("root", ROOT_PASSWORD, null);
  }

  @AfterAll
  static void stop() {
    node.close();
    logs.close();
  }

  /** A token for {@code user}; waits out the per-address rate limit other tests may have hit. */
  private static String token(String user, String password, Integer ttlSeconds) throws Exception {
    String body =
        "{\"user\":\""
            + user
            + "\",\"password\":\""
            + password
            + "\""
            + (ttlSeconds == null ? "" : ",\"ttlSeconds\":" + ttlSeconds)
            + "}";
    List<HttpResponse<String>> last = new ArrayList<>();
    await(
        Duration.ofSeconds(20),
        () -> {
          try {
            last.add(0, http.send("POST", "/v1/auth/tokens", body));
            return last.getFirst().statusCode() != 429;
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
    assertEquals(201, last.getFirst().statusCode(), last.getFirst().body());
    String token = JSON.readTree(last.getFirst().body()).get("token").asText();
    secrets.add(token);
    return token;
  }

  private static HttpResponse<String> as(String token, String method, String path, String body)
      throws Exception {
    return http.send(method, path, body, token);
  }

  private static void addUser(String name, String password, String roles) throws Exception {
    ok(
        as(
            rootToken,
            "PUT",
            "/v1/auth/users/" + name,
            "{\"password\":\"" + password + "\",\"roles\":" + roles + "}"));
  }

  /** A role with one permission, added by root over HTTP. */
  private static void addRole(String name, String permission) throws Exception {
    ok(as(rootToken, "PUT", "/v1/auth/roles/" + name, null));
    ok(as(rootToken, "POST", "/v1/auth/roles/" + name + "/grant", permission));
  }

  private static String grant(String resource, String name, String keyPrefix, String access) {
    return "{\"resource\":\""
        + resource
        + "\",\"name\":\""
        + name
        + "\",\"keyPrefix\":\""
        + keyPrefix
        + "\",\"access\":\""
        + access
        + "\"}";
  }

  @Test
  @Order(1)
  void unauthenticatedRequestsGet401WithAChallenge() throws Exception {
    HttpResponse<String> none = http.send("GET", "/v1/keyspaces", null);
    assertError(none, 401, "unauthenticated");
    assertEquals(
        "Bearer realm=\"cohort\"", none.headers().firstValue("WWW-Authenticate").orElseThrow());
    HttpResponse<String> forged = as("not-a-token", "GET", "/v1/keyspaces", null);
    assertError(forged, 401, "unauthenticated");
    assertTrue(
        forged.headers().firstValue("WWW-Authenticate").orElseThrow().contains("invalid_token"));
    assertEquals(200, http.send("GET", "/health/alive", null).statusCode());
    assertTrue(ok(http.send("GET", "/v1/auth/status", null)).get("enabled").asBoolean());
  }

  @Test
  @Order(2)
  void aWrongPasswordAndAnUnknownUserGetTheSameAnswer() throws Exception {
    addUser("erin", ALICE_PASSWORD, "[]");
    HttpResponse<String> wrong =
        http.send("POST", "/v1/auth/tokens", "{\"user\":\"erin\",\"password\":\"nope-nope\"}");
    HttpResponse<String> unknown =
        http.send("POST", "/v1/auth/tokens", "{\"user\":\"nobody\",\"password\":\"nope-nope\"}");
    assertError(wrong, 401, "authentication_failed");
    assertEquals(wrong.body(), unknown.body());
    assertFalse(wrong.body().contains("nope-nope"));
  }

  @Test
  @Order(3)
  void permissionEdgesAllowedDeniedRevokedExpired() throws Exception {
    ok(as(rootToken, "PUT", "/v1/kv/default/keys/app/x", "{\"value\":\"1\"}"));
    ok(as(rootToken, "PUT", "/v1/kv/default/keys/other/y", "{\"value\":\"2\"}"));
    addRole("app-reader", grant("kv", "default", "app/", "read"));
    addUser("alice", ALICE_PASSWORD, "[\"app-reader\"]");
    String alice = token("alice", ALICE_PASSWORD, null);

    // allowed
    assertEquals(
        "1", ok(as(alice, "GET", "/v1/kv/default/keys/app/x", null)).at("/kv/value").asText());
    assertError(as(alice, "GET", "/v1/kv/default/keys/app/none", null), 404, "key_not_found");
    ok(as(alice, "GET", "/v1/kv/default/keys?prefix=app/", null));
    // denied, the same answer whether the key exists or not
    assertError(
        as(alice, "PUT", "/v1/kv/default/keys/app/x", "{\"value\":\"3\"}"),
        403,
        "permission_denied");
    HttpResponse<String> existing = as(alice, "GET", "/v1/kv/default/keys/other/y", null);
    HttpResponse<String> missing = as(alice, "GET", "/v1/kv/default/keys/other/none", null);
    assertError(existing, 403, "permission_denied");
    assertEquals(existing.body(), missing.body());
    assertError(as(alice, "GET", "/v1/kv/default/keys", null), 403, "permission_denied");
    assertError(as(alice, "GET", "/v1/auth/users", null), 403, "permission_denied");
    assertEquals(
        "1",
        ok(as(rootToken, "GET", "/v1/kv/default/keys/app/x", null)).at("/kv/value").asText(),
        "the denied put changed nothing");

    // revoked permission, then granted again
    ok(
        as(
            rootToken,
            "POST",
            "/v1/auth/roles/app-reader/revoke",
            grant("kv", "default", "app/", "read")));
    assertError(as(alice, "GET", "/v1/kv/default/keys/app/x", null), 403, "permission_denied");
    ok(
        as(
            rootToken,
            "POST",
            "/v1/auth/roles/app-reader/grant",
            grant("kv", "default", "app/", "read")));
    ok(as(alice, "GET", "/v1/kv/default/keys/app/x", null));
    // revoked role
    ok(as(rootToken, "DELETE", "/v1/auth/users/alice/roles/app-reader", null));
    assertError(as(alice, "GET", "/v1/kv/default/keys/app/x", null), 403, "permission_denied");
    ok(as(rootToken, "POST", "/v1/auth/users/alice/roles", "{\"role\":\"app-reader\"}"));
    ok(as(alice, "GET", "/v1/kv/default/keys/app/x", null));
    // revoked token
    ok(as(alice, "DELETE", "/v1/auth/tokens", null));
    assertError(as(alice, "GET", "/v1/kv/default/keys/app/x", null), 401, "unauthenticated");
    // expired token
    String shortLived = token("alice", ALICE_PASSWORD, 1);
    ok(as(shortLived, "GET", "/v1/kv/default/keys/app/x", null));
    await(Duration.ofSeconds(15), () -> statusOf(shortLived, "/v1/kv/default/keys/app/x") == 401);
  }

  private static int statusOf(String token, String path) {
    try {
      return as(token, "GET", path, null).statusCode();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  @Order(4)
  void aWatchClosesWhenItsTokenIsRevoked() throws Exception {
    addRole("watcher", grant("kv", "default", "feed/", "read"));
    addUser("walter", ALICE_PASSWORD, "[\"watcher\"]");
    String walter = token("walter", ALICE_PASSWORD, null);
    assertError(
        as(walter, "GET", "/v1/kv/default/watch?prefix=app/", null), 403, "permission_denied");

    HttpResponse<InputStream> stream =
        http.client()
            .send(
                HttpRequest.newBuilder(
                        URI.create(http.base() + "/v1/kv/default/watch?prefix=feed/"))
                    .header("Authorization", "Bearer " + walter)
                    .build(),
                HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, stream.statusCode());
    List<String> seen = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> ended =
        CompletableFuture.runAsync(
            () -> {
              try (BufferedReader reader =
                  new BufferedReader(
                      new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                  seen.add(line);
                }
              } catch (java.io.IOException e) {
                seen.add("io: " + e);
              }
            });
    ok(as(rootToken, "PUT", "/v1/kv/default/keys/feed/1", "{\"value\":\"a\"}"));
    await(Duration.ofSeconds(15), () -> seen.stream().anyMatch(l -> l.contains("feed/1")));
    assertFalse(ended.isDone(), "the watch is open while its token is valid");
    ok(as(rootToken, "DELETE", "/v1/auth/users/walter/tokens", null));
    ended.get(20, TimeUnit.SECONDS); // the stream ended
    List<String> all = List.copyOf(seen);
    assertTrue(all.contains("event: error"), all.toString());
    assertTrue(all.stream().anyMatch(l -> l.contains("\"unauthenticated\"")), all.toString());
  }

  /** A fetch long poll of {@code token}, waiting up to 15 s at offset {@code offset}. */
  private static CompletableFuture<HttpResponse<String>> longPoll(String token, long offset) {
    return http.client()
        .sendAsync(
            HttpRequest.newBuilder(
                    URI.create(
                        http.base()
                            + "/v1/topics/polled/partitions/0/records?offset="
                            + offset
                            + "&maxWaitMs=15000"))
                .header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @Order(4)
  void aLongPollEndsWhenItsTokenIsRevokedOrItsGrantGoes() throws Exception {
    assertEquals(
        201,
        as(rootToken, "POST", "/v1/topics", "{\"name\":\"polled\",\"partitions\":1}").statusCode());
    addRole("poller", grant("topic", "polled", "", "read"));
    addUser("polly", ALICE_PASSWORD, "[\"poller\"]");
    String polly = token("polly", ALICE_PASSWORD, null);
    // allowed: the poll waiting at the log end gets the record written meanwhile
    CompletableFuture<HttpResponse<String>> waiting = longPoll(polly, 0);
    ok(as(rootToken, "POST", "/v1/topics/polled/records", "{\"records\":[{\"value\":\"r0\"}]}"));
    JsonNode fetched = ok(waiting.get(20, TimeUnit.SECONDS));
    assertEquals("r0", fetched.at("/records/0/value").asText(), fetched.toString());

    // revoked token: answered 401 long before the 15 s wait ends
    CompletableFuture<HttpResponse<String>> revoked = longPoll(polly, 1);
    ok(as(rootToken, "DELETE", "/v1/auth/users/polly/tokens", null));
    HttpResponse<String> cut = revoked.get(12, TimeUnit.SECONDS);
    assertError(cut, 401, "unauthenticated");
    assertTrue(cut.headers().firstValue("WWW-Authenticate").isPresent());

    // the grant taken away: 403
    String again = token("polly", ALICE_PASSWORD, null);
    CompletableFuture<HttpResponse<String>> denied = longPoll(again, 1);
    ok(as(rootToken, "POST", "/v1/auth/roles/poller/revoke", grant("topic", "polled", "", "read")));
    assertError(denied.get(12, TimeUnit.SECONDS), 403, "permission_denied");
  }

  @Test
  @Order(5)
  void everyServedRouteChecksItsPermission() throws Exception {
    addUser("nobody-has-roles", ALICE_PASSWORD, "[]");
    String noRoles = token("nobody-has-roles", ALICE_PASSWORD, null);
    Set<String> open = new TreeSet<>();
    List<String> unchecked = new ArrayList<>();
    for (Endpoint endpoint : node.httpEndpoints()) {
      String name = endpoint.method().name() + " " + endpoint.path().text();
      String path = concrete(endpoint.path().text());
      HttpResponse<String> anonymous = http.send(endpoint.method().name(), path, "{}");
      if (endpoint.guard() instanceof Guard.Open) {
        open.add(name);
        assertNotEquals(401, anonymous.statusCode(), name);
        continue;
      }
      if (anonymous.statusCode() != 401) {
        unchecked.add(name + " without a token: " + anonymous.statusCode());
      }
      Guard.Check check = (Guard.Check) endpoint.guard();
      boolean anyUser =
          check
              .resources()
              .apply(endpoint.path().match(path).orElseThrow(), java.util.Map.of())
              .isEmpty();
      if (!anyUser) {
        HttpResponse<String> denied = as(noRoles, endpoint.method().name(), path, "{}");
        if (denied.statusCode() != 403) {
          unchecked.add(name + " without roles: " + denied.statusCode());
        }
      }
    }
    assertEquals(List.of(), unchecked);
    assertEquals(
        Set.of(
            "GET /health/alive",
            "GET /health/ready",
            "GET /metrics",
            "GET /v1/auth/status",
            "GET /v1/openapi.json",
            "POST /v1/auth/tokens"),
        open);
    assertTrue(node.httpEndpoints().size() > 70, "found only " + node.httpEndpoints().size());
  }

  /** A path that matches {@code template}: each variable filled with a value of its type. */
  private static String concrete(String template) {
    return template
        .replaceAll("\\{[a-z]+:(int|long)\\}", "1")
        .replaceAll("\\{[a-z]+\\*\\}", "a/b")
        .replaceAll("\\{[a-z]+\\}", "x1");
  }

  @Test
  @Order(6)
  void failedPasswordsAreRateLimited() throws Exception {
    addUser("mallory", ALICE_PASSWORD, "[]");
    for (int i = 0; i < 3; i++) {
      http.send(
          "POST", "/v1/auth/tokens", "{\"user\":\"mallory\",\"password\":\"guess-" + i + "\"}");
    }
    HttpResponse<String> blocked =
        http.send(
            "POST",
            "/v1/auth/tokens",
            "{\"user\":\"mallory\",\"password\":\"" + ALICE_PASSWORD + "\"}");
    assertError(blocked, 429, "too_many_attempts");
    token("mallory", ALICE_PASSWORD, null); // after the window
  }

  @Test
  @Order(7)
  void failuresAreCountedAndAudited() throws Exception {
    String metrics = http.send("GET", "/metrics", null).body();
    for (String reason :
        List.of(
            "missing_token",
            "invalid_token",
            "permission_denied",
            "bad_password",
            "rate_limited")) {
      assertTrue(metrics.contains("cohort_auth_failures_total{reason=\"" + reason + "\"}"), reason);
    }
    List<JsonNode> audit = new ArrayList<>();
    for (String line : logs.messages(Audit.LOGGER)) {
      audit.add(JSON.readTree(line));
    }
    Set<String> events = new TreeSet<>();
    audit.forEach(
        a ->
            events.add(
                a.get("event").asText()
                    + ":"
                    + a.path("reason").asText(a.path("action").asText())));
    assertTrue(events.contains("auth_failure:missing_token"), events.toString());
    assertTrue(events.contains("auth_failure:bad_password"), events.toString());
    assertTrue(events.contains("auth_failure:rate_limited"), events.toString());
    assertTrue(events.contains("permission_denied:permission_denied"), events.toString());
    assertTrue(events.contains("auth_change:add_user"), events.toString());
    assertTrue(events.contains("auth_change:revoke_permission"), events.toString());
    assertTrue(events.contains("auth_change:enable"), events.toString());
    assertTrue(
        audit.stream()
            .anyMatch(
                a ->
                    a.get("event").asText().equals("permission_denied")
                        && a.get("user").asText().equals("alice")
                        && a.get("source").asText().equals("127.0.0.1")));
  }

  @Test
  @Order(8)
  void noPasswordOrTokenReachedTheLogsMetricsOrClusterView() throws Exception {
    List<String> places = new ArrayList<>(logs.lines());
    places.add(http.send("GET", "/metrics", null).body());
    places.add(as(rootToken, "GET", "/v1/cluster", null).body());
    places.add(as(rootToken, "GET", "/v1/auth/users", null).body());
    assertTrue(logs.lines().size() > 20, "the capture saw only " + logs.lines().size() + " lines");
    assertTrue(secrets.size() > 6, secrets.toString());
    List<String> leaks = new ArrayList<>();
    for (String secret : secrets) {
      for (String text : places) {
        if (text.contains(secret)) {
          leaks.add(
              secret.substring(0, 6) + "… in: " + text.substring(0, Math.min(200, text.length())));
        }
      }
    }
    assertEquals(List.of(), leaks);
  }
}
