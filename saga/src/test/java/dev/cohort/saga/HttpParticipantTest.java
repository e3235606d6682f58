package dev.cohort.saga;

import static dev.cohort.testkit.Await.errorCode;
import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.kv.KeyspaceSpec;
import dev.cohort.observability.Metrics;
import dev.cohort.saga.internal.SagaInstanceEntity;
import dev.cohort.testkit.Await;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Sagas calling a participant service over real HTTP (a JDK HttpServer on 127.0.0.1 inside the
 * test) that fails, hangs and succeeds on command. Effects and idempotency keys are checked on the
 * participant's side: however often a step is tried, each step has one effect.
 */
class HttpParticipantTest {
  private static final SagaTestKit node = SagaTestKit.start("HttpParticipantTest");
  private static final Participant participant = Participant.start();

  static {
    join(node.kv.createKeyspace("orders", KeyspaceSpec.cp(2)));
  }

  @AfterAll
  static void shutdown() {
    participant.close();
    node.close();
  }

  /** The issue's example with the participant's port, and a name per test. */
  private static String issueExample() {
    return SagaDefinitionTest.ISSUE_EXAMPLE.replace(
        "127.0.0.1:9000", "127.0.0.1:" + participant.port());
  }

  private static String kvValue(String key) {
    return new String(join(node.kv.get("orders", key)).kv().value(), StandardCharsets.UTF_8);
  }

  @Test
  void theIssueExampleRetries5xxWithOneIdempotencyKeyAndOneEffect() {
    join(node.sagas.defineJson("issue", issueExample()));
    String id = "issue-1";
    participant.failNext("/pay", 2, 503);
    join(node.sagas.start("issue", id, Map.of("amount", 50000)));
    SagaInstance done = node.awaitState(id, SagaState.COMPLETED);

    List<Participant.Request> pays =
        participant.requests("/pay").stream().filter(r -> r.key().startsWith(id + ":")).toList();
    assertEquals(3, pays.size());
    assertTrue(pays.stream().allMatch(r -> r.key().equals(id + ":process_payment:action")));
    assertEquals("{\"amount\":50000}", pays.get(0).body(), "a whole placeholder keeps its type");
    assertEquals(1, participant.effects("/pay").stream().filter(e -> e.contains(id + ":")).count());
    assertTrue(participant.requests("/refund").stream().noneMatch(r -> r.key().startsWith(id)));

    List<Attempt> attempts = done.step("process_payment").attempts();
    assertEquals(
        List.of(Attempt.Outcome.FAILED, Attempt.Outcome.FAILED, Attempt.Outcome.SUCCEEDED),
        attempts.stream().map(Attempt::outcome).toList());
    assertTrue(attempts.get(0).error().orElseThrow().startsWith("HTTP 503"));
    assertTrue(attempts.get(0).retryable());
    // the backoff was waited: the second attempt started at least 100 ms after the first ended
    assertTrue(
        !attempts
            .get(1)
            .startedAt()
            .isBefore(attempts.get(0).finishedAt().orElseThrow().plusMillis(100)));
    assertEquals("created", kvValue(id));
    assertTrue(done.step("process_payment").output().orElseThrow().contains("\"path\":\"/pay\""));
  }

  @Test
  void aTimedOutAttemptIsRetriedWithTheSameKeyAndHasOneEffect() {
    join(
        node.sagas.defineJson(
            "slow-pay", issueExample().replace("\"timeoutMs\":2000", "\"timeoutMs\":300")));
    String id = "slow-1";
    participant.slowNext("/pay", 1500);
    join(node.sagas.start("slow-pay", id, Map.of("amount", 10)));
    SagaInstance done = node.awaitState(id, SagaState.COMPLETED);
    List<Attempt> attempts = done.step("process_payment").attempts();
    // two attempts, unless a loaded machine made a later one time out as well
    assertTrue(attempts.size() >= 2, attempts.toString());
    assertTrue(
        attempts.get(0).error().orElseThrow().contains("timed out"),
        attempts.get(0).error().toString());
    assertEquals(
        attempts.size(),
        participant.requests("/pay").stream()
            .filter(r -> r.key().equals(id + ":process_payment:action"))
            .count());
    assertEquals(1, participant.effects("/pay").stream().filter(e -> e.contains(id + ":")).count());
  }

  @Test
  void a4xxFailsTheStepAtOnceAndCompensatesCompletedSteps() {
    join(node.sagas.defineJson("rejected-pay", issueExample()));
    String id = "rejected-1";
    participant.failNext("/pay", 1, 400);
    join(node.sagas.start("rejected-pay", id, Map.of("amount", 10)));
    SagaInstance done = node.awaitState(id, SagaState.COMPENSATED);
    assertEquals(1, done.step("process_payment").attempts().size());
    assertTrue(done.error().orElseThrow().contains("HTTP 400"), done.error().toString());
    assertEquals(StepStatus.COMPENSATED, done.step("create_order").status());
    assertEquals("cancelled", kvValue(id));
    assertTrue(
        participant.requests("/refund").stream().noneMatch(r -> r.key().startsWith(id)),
        "the payment never completed, so it is not refunded");
  }

  @Test
  void retryableStatusesArePerStep() {
    join(
        node.sagas.defineJson(
            "conflict-retry",
            issueExample()
                .replace(
                    "\"successStatus\":[200,201]",
                    "\"successStatus\":[200,201],\"retryableStatus\":[409]")));
    String id = "conflict-1";
    participant.failNext("/pay", 1, 409);
    join(node.sagas.start("conflict-retry", id, Map.of("amount", 3)));
    SagaInstance done = node.awaitState(id, SagaState.COMPLETED);
    assertEquals(2, done.step("process_payment").attempts().size());
    assertTrue(
        done.step("process_payment")
            .attempts()
            .get(0)
            .error()
            .orElseThrow()
            .startsWith("HTTP 409"));
  }

  private static String releaseSaga() {
    return """
        {"steps":[
          {"name":"reserve",
           "action":{"http":{"method":"POST","url":"%1$s/reserve","body":{"saga":"${sagaId}"}}},
           "compensation":{"http":{"method":"POST","url":"%1$s/release","body":{"saga":"${sagaId}"}}},
           "compensationRetry":{"maxAttempts":2,"initialBackoffMs":50,"maxBackoffMs":50}},
          {"name":"pay","action":{"http":{"method":"POST","url":"%1$s/declined"}}}
        ]}
        """
        .formatted(participant.url(""));
  }

  @Test
  void aFailedCompensationWaitsForAnOperatorThenRetryCompensates() {
    join(node.sagas.defineJson("release", releaseSaga()));
    participant.failAlways("/declined", 422);
    participant.failAlways("/release", 500);
    String id = "release-1";
    join(node.sagas.start("release", id, Map.of()));
    SagaInstance stuck = node.awaitState(id, SagaState.COMPENSATION_FAILED);
    assertEquals(StepStatus.COMPENSATION_FAILED, stuck.step("reserve").status());
    assertEquals(2, stuck.step("reserve").attempts(StepPhase.COMPENSATION).size());
    assertTrue(stuck.error().orElseThrow().contains("HTTP 500"), stuck.error().toString());
    assertTrue(
        Metrics.get(node.kit.system())
            .scrape()
            .contains("cohort_saga_compensation_failed{definition=\"release\"} 1.0"));

    // a retry while the participant still fails gets a fresh budget and stops again
    join(node.sagas.retry(id));
    node.awaitInstance(
        id,
        Duration.ofSeconds(20),
        i ->
            i.state() == SagaState.COMPENSATION_FAILED
                && i.step("reserve").attempts(StepPhase.COMPENSATION).size() == 4);

    participant.heal("/release");
    assertEquals(SagaState.COMPENSATING, join(node.sagas.retry(id)).state());
    SagaInstance done = node.awaitState(id, SagaState.COMPENSATED);
    assertEquals(5, done.step("reserve").attempts(StepPhase.COMPENSATION).size());
    assertEquals(
        1, participant.effects("/reserve").stream().filter(e -> e.contains(id + ":")).count());
    assertEquals(
        1, participant.effects("/release").stream().filter(e -> e.contains(id + ":")).count());
    assertTrue(
        participant.requests("/release").stream()
            .filter(r -> r.key().startsWith(id))
            .allMatch(r -> r.key().equals(id + ":reserve:compensation")));
    assertEquals("invalid_state", errorCode(node.sagas.retry(id)));
    assertTrue(
        Metrics.get(node.kit.system())
                .scrape()
                .contains("cohort_saga_compensation_failed{definition=\"release\"} 0.0")
            || !Metrics.get(node.kit.system())
                .scrape()
                .contains("cohort_saga_compensation_failed{definition=\"release\"}"));
  }

  @Test
  void anOperatorResolvesAFailedCompensation() {
    join(node.sagas.defineJson("resolve", releaseSaga().replace("/release", "/release-broken")));
    participant.failAlways("/declined", 422);
    participant.failAlways("/release-broken", 500);
    String id = "resolve-1";
    join(node.sagas.start("resolve", id, Map.of()));
    node.awaitState(id, SagaState.COMPENSATION_FAILED);
    assertEquals("invalid_input", errorCode(node.sagas.resolve(id, " ")));
    SagaInstance resolved = join(node.sagas.resolve(id, "released by hand, ticket 42"));
    assertEquals(SagaState.RESOLVED, resolved.state());
    assertEquals(Optional.of("released by hand, ticket 42"), resolved.resolution());
    assertEquals("invalid_state", errorCode(node.sagas.retry(id)));
    assertEquals("instance_not_found", errorCode(node.sagas.resolve("nobody", "x")));
  }

  @Test
  void anInstanceStoppedMidStepResumesAndTheStepHasOneEffect() {
    String definition =
        """
        {"steps":[
          {"name":"reserve",
           "action":{"http":{"method":"POST","url":"%1$s/reserve-slow","body":{"saga":"${sagaId}"}}},
           "compensation":{"http":{"method":"POST","url":"%1$s/release"}},
           "timeoutMs":5000},
          {"name":"confirm","action":{"http":{"method":"PUT","url":"%1$s/confirm/${sagaId}"}}}
        ]}
        """
            .formatted(participant.url(""));
    join(node.sagas.defineJson("restart", definition));
    String id = "restart-1";
    participant.slowNext("/reserve-slow", 3000);
    join(node.sagas.start("restart", id, Map.of()));
    Await.await(
        Duration.ofSeconds(10),
        () -> participant.requests("/reserve-slow").stream().anyMatch(r -> r.key().startsWith(id)));

    // the entity stops while its attempt runs; its outcome is lost with it
    ClusterSharding.get(node.kit.system())
        .entityRefFor(SagaInstanceEntity.ENTITY_TYPE_KEY, id)
        .tell(SagaInstanceEntity.Stop.INSTANCE);

    // only the index is read here: what restarts the instance is the node's waker
    Await.await(
        Duration.ofSeconds(20),
        () ->
            join(node.sagas.list(Optional.of("restart"), Optional.of(SagaState.COMPLETED))).stream()
                .anyMatch(s -> s.id().equals(id)));

    SagaInstance done = join(node.sagas.get(id));
    assertEquals(SagaState.COMPLETED, done.state());
    assertEquals(
        2,
        participant.requests("/reserve-slow").stream()
            .filter(r -> r.key().equals(id + ":reserve:action"))
            .count(),
        "the attempt without a recorded outcome ran again with the same key");
    assertEquals(
        1, participant.effects("/reserve-slow").stream().filter(e -> e.contains(id + ":")).count());
    assertEquals(1, participant.effects("/confirm/" + id).size());
    assertEquals(1, done.step("reserve").attempts().size());
  }
}
