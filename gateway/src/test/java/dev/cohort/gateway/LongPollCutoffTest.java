package dev.cohort.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cohort.security.Access;
import dev.cohort.security.AuthDecision;
import dev.cohort.security.Authorizer;
import dev.cohort.security.Resource;
import dev.cohort.security.SecurityError;
import dev.cohort.testkit.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A long poll (a guarded GET whose answer waits) is answered 401 or 403 once its permission goes
 * while it waits: the token revoked, the token expired, the grant taken away. The authorizer is a
 * fake whose decision the test turns, after it saw the request admitted; the handler's answer is a
 * future the test completes (or never does). A poll that stays allowed gets its answer, and a write
 * that waits is never cut.
 */
class LongPollCutoffTest extends AllDirectives {
  private final AtomicReference<AuthDecision> decision =
      new AtomicReference<>(AuthDecision.allowed("alice"));
  private final AtomicInteger asked = new AtomicInteger();
  private final CompletableFuture<String> pollAnswer = new CompletableFuture<>();
  private final CompletableFuture<String> writeAnswer = new CompletableFuture<>();
  private final HttpClient client = HttpClient.newHttpClient();
  private TestGateway gateway;

  @BeforeEach
  void bind() throws Exception {
    Authorizer authorizer =
        new Authorizer() {
          @Override
          public CompletionStage<AuthDecision> decide(
              Optional<String> token, Access access, List<Resource> resources) {
            asked.incrementAndGet();
            return CompletableFuture.completedFuture(decision.get());
          }
        };
    gateway =
        TestGateway.start(
            "pekko.http.server.request-timeout = 60s\n"
                + "cohort.security.stream-check-interval = 100ms",
            authorizer,
            Endpoints.route(
                List.of(
                    Endpoint.get(
                        "/poll",
                        Guard.read(p -> Resource.topic("t")),
                        p -> onSuccess(pollAnswer, body -> complete(body))),
                    Endpoint.post(
                        "/wait",
                        Guard.write(p -> Resource.topic("t")),
                        p -> onSuccess(writeAnswer, body -> complete(body))))));
  }

  @AfterEach
  void shutdown() {
    gateway.close();
  }

  private CompletableFuture<HttpResponse<String>> send(String method, String path) {
    return client.sendAsync(
        HttpRequest.newBuilder(URI.create(gateway.base() + path))
            .header("Authorization", "Bearer some-token")
            .timeout(Duration.ofSeconds(60))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Sends the poll and waits until the authorizer admitted it. */
  private CompletableFuture<HttpResponse<String>> admittedPoll() {
    CompletableFuture<HttpResponse<String>> poll = send("GET", "/poll");
    Await.await(Duration.ofSeconds(10), () -> asked.get() >= 1);
    return poll;
  }

  private static String code(HttpResponse<String> response) throws Exception {
    JsonNode body = Json.MAPPER.readTree(response.body());
    return body.path("error").path("code").asText();
  }

  /** Admits a poll, turns the decision to {@code now}, and returns the poll's answer. */
  private HttpResponse<String> cutBy(AuthDecision now) throws Exception {
    CompletableFuture<HttpResponse<String>> poll = admittedPoll();
    decision.set(now);
    return poll.get(10, TimeUnit.SECONDS);
  }

  @Test
  void aRevokedTokenEndsTheWaitWith401() throws Exception {
    HttpResponse<String> answer = cutBy(AuthDecision.unauthenticated(AuthDecision.INVALID_TOKEN));
    assertEquals(401, answer.statusCode(), answer.body());
    assertEquals(SecurityError.UNAUTHENTICATED.code(), code(answer));
    assertTrue(
        answer.headers().firstValue("WWW-Authenticate").orElse("").contains("invalid_token"),
        answer.headers().map().toString());
  }

  @Test
  void anExpiredTokenEndsTheWaitWith401() throws Exception {
    HttpResponse<String> answer = cutBy(AuthDecision.unauthenticated(AuthDecision.EXPIRED_TOKEN));
    assertEquals(401, answer.statusCode(), answer.body());
    assertEquals(SecurityError.UNAUTHENTICATED.code(), code(answer));
  }

  @Test
  void aRemovedPermissionEndsTheWaitWith403() throws Exception {
    HttpResponse<String> answer = cutBy(AuthDecision.denied("alice"));
    assertEquals(403, answer.statusCode(), answer.body());
    assertEquals(SecurityError.PERMISSION_DENIED.code(), code(answer));
  }

  @Test
  void aPollThatStaysAllowedGetsItsAnswer() throws Exception {
    CompletableFuture<HttpResponse<String>> poll = admittedPoll();
    // the admission and at least two checks while waiting
    Await.await(Duration.ofSeconds(10), () -> asked.get() >= 3);
    assertFalse(poll.isDone());
    pollAnswer.complete("records");
    HttpResponse<String> answer = poll.get(10, TimeUnit.SECONDS);
    assertEquals(200, answer.statusCode(), answer.body());
    assertEquals("records", answer.body());
  }

  @Test
  void aWaitingWriteIsNotCutItMayHaveTakenEffect() throws Exception {
    CompletableFuture<HttpResponse<String>> write = send("POST", "/wait");
    Await.await(Duration.ofSeconds(10), () -> asked.get() >= 1);
    CompletableFuture<HttpResponse<String>> poll = send("GET", "/poll");
    Await.await(Duration.ofSeconds(10), () -> asked.get() >= 2);
    decision.set(AuthDecision.unauthenticated(AuthDecision.INVALID_TOKEN));
    assertEquals(401, poll.get(10, TimeUnit.SECONDS).statusCode());
    assertFalse(write.isDone(), "the write waits on");
    writeAnswer.complete("locked");
    HttpResponse<String> answer = write.get(10, TimeUnit.SECONDS);
    assertEquals(200, answer.statusCode(), answer.body());
  }
}
