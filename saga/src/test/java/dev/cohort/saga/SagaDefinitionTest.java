package dev.cohort.saga;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The definition DSL, the JSON format and the rules a definition must satisfy. */
class SagaDefinitionTest {

  /** The issue's example, verbatim. */
  static final String ISSUE_EXAMPLE =
      """
      {"steps":[
        {"name":"create_order",
         "action":{"kv":{"op":"put","keyspace":"orders","key":"${sagaId}","value":"created"}},
         "compensation":{"kv":{"op":"put","keyspace":"orders","key":"${sagaId}","value":"cancelled"}}},
        {"name":"process_payment",
         "action":{"http":{"method":"POST","url":"http://127.0.0.1:9000/pay","body":{"amount":"${input.amount}"},"successStatus":[200,201]}},
         "compensation":{"http":{"method":"POST","url":"http://127.0.0.1:9000/refund","body":{"sagaId":"${sagaId}"}}},
         "retry":{"maxAttempts":3,"initialBackoffMs":100,"maxBackoffMs":2000,"multiplier":2.0},
         "timeoutMs":2000}
      ]}
      """;

  @Test
  void theIssueExampleIsAcceptedAsWritten() {
    SagaDefinition d = SagaDefinition.fromJson("orders", ISSUE_EXAMPLE);
    assertEquals(
        List.of("create_order", "process_payment"),
        d.steps().stream().map(SagaStep::name).toList());
    StepAction.Kv create = (StepAction.Kv) d.steps().get(0).action();
    assertEquals(StepAction.KvOp.PUT, create.op());
    assertEquals("orders", create.keyspace());
    assertEquals("${sagaId}", create.key());
    assertEquals("created", create.value());
    SagaStep pay = d.steps().get(1);
    StepAction.Http http = (StepAction.Http) pay.action();
    assertEquals("POST", http.method());
    assertEquals(List.of(200, 201), http.successStatus());
    assertEquals("{\"amount\":\"${input.amount}\"}", http.body());
    assertEquals(new RetryPolicy(3, 100, 2000, 2.0), pay.retry());
    assertEquals(2000, pay.timeoutMs());
    assertTrue(pay.compensation().isPresent());
  }

  @Test
  void jsonRoundTripsThroughToJson() {
    SagaDefinition d = SagaDefinition.fromJson("orders", ISSUE_EXAMPLE);
    assertEquals(d, SagaDefinition.fromJson(d.toJson()));
    SagaDefinition withEveryKind =
        SagaDefinition.builder("kinds")
            .step(SagaStep.of("j", StepAction.java("fn"), StepAction.java("undo")))
            .step(
                SagaStep.of(
                    "t",
                    StepAction.kvTxn(
                        "ks",
                        new StepAction.KvTxn(
                            List.of(new StepAction.KvCompare("k", "version", "=", "0")),
                            List.of(new StepAction.KvWrite("put", "k", "${input.v}")),
                            List.of())),
                    StepAction.kvDelete("ks", "k")))
            .step(
                SagaStep.withoutCompensation(
                    "l", new StepAction.Log("events", "${sagaId}", "{\"x\":1}", Map.of("h", "v"))))
            .step(
                "h",
                StepAction.http("PUT", "https://example.com/a/${sagaId}")
                    .withHeaders(Map.of("X-Trace", "${input.trace}")),
                null)
            .build();
    assertEquals(withEveryKind, SagaDefinition.fromJson(withEveryKind.toJson()));
  }

  @Test
  void theOrderSagaOfTheSourceDocumentBuildsWithTheDsl() {
    SagaDefinition order = Examples.orderSaga();
    assertEquals(3, order.steps().size());
    assertEquals(
        Optional.of(StepAction.java("refund_payment")),
        order.step("process_payment").compensation());
  }

  @Test
  void malformedDefinitionsNameTheProblem() {
    assertInvalid(
        "unknown step kind 'grpc'", "{\"steps\":[{\"name\":\"a\",\"action\":{\"grpc\":{}}}]}");
    assertInvalid(
        "step 'a' has no compensation",
        "{\"steps\":[{\"name\":\"a\",\"action\":{\"java\":\"f\"}},"
            + "{\"name\":\"b\",\"action\":{\"java\":\"g\"}}]}");
    assertInvalid(
        "duplicate step name 'a'",
        "{\"steps\":[{\"name\":\"a\",\"action\":{\"java\":\"f\"},\"compensation\":{\"java\":\"g\"}},"
            + "{\"name\":\"a\",\"action\":{\"java\":\"g\"}}]}");
    assertInvalid(
        "must be an absolute http or https URL",
        "{\"steps\":[{\"name\":\"a\",\"action\":{\"http\":{\"method\":\"POST\",\"url\":\"ftp://x/y\"}}}]}");
    assertInvalid(
        "has no host",
        "{\"steps\":[{\"name\":\"a\",\"action\":{\"http\":{\"method\":\"POST\",\"url\":\"http:///pay\"}}}]}");
    assertInvalid(
        "is malformed",
        "{\"steps\":[{\"name\":\"a\",\"action\":{\"http\":{\"method\":\"POST\",\"url\":\"http://a b/\"}}}]}");
    assertInvalid(
        "http method must be one of",
        "{\"steps\":[{\"name\":\"a\",\"action\":{\"http\":{\"method\":\"FETCH\",\"url\":\"http://h/\"}}}]}");
    assertInvalid(
        "unknown field 'compensaton'",
        "{\"steps\":[{\"name\":\"a\",\"action\":{\"java\":\"f\"},\"compensaton\":{\"java\":\"g\"}}]}");
    assertInvalid(
        "has not completed at that point",
        "{\"steps\":[{\"name\":\"a\",\"action\":{\"kv\":{\"op\":\"put\",\"keyspace\":\"k\","
            + "\"key\":\"${steps.b.output.id}\",\"value\":\"v\"}},\"compensation\":{\"java\":\"g\"}},"
            + "{\"name\":\"b\",\"action\":{\"java\":\"g\"}}]}");
    assertInvalid(
        "placeholder ${order} must be",
        "{\"steps\":[{\"name\":\"a\",\"action\":{\"kv\":{\"op\":\"put\",\"keyspace\":\"k\","
            + "\"key\":\"${order}\",\"value\":\"v\"}}}]}");
    assertInvalid(
        "maxAttempts must be 1 to 1000",
        "{\"steps\":[{\"name\":\"a\",\"action\":{\"java\":\"f\"},\"retry\":{\"maxAttempts\":0}}]}");
    assertInvalid("has no steps", "{\"steps\":[]}");
    assertInvalid(
        "is set by Cohort itself",
        "{\"steps\":[{\"name\":\"a\",\"action\":{\"http\":{\"method\":\"POST\",\"url\":\"http://h/\","
            + "\"headers\":{\"Host\":\"x\"}}}}]}");
    assertInvalid("not valid JSON", "{\"steps\":[");
    assertInvalid(
        "does not match",
        "{\"name\":\"bad name\",\"steps\":[{\"name\":\"a\"," + "\"action\":{\"java\":\"f\"}}]}");
  }

  @Test
  void theReadmeExampleIsValid() throws Exception {
    String readme = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
    int start = readme.indexOf("```json\n") + "```json\n".length();
    String json = readme.substring(start, readme.indexOf("```", start));
    SagaDefinition d = SagaDefinition.fromJson("readme", json);
    assertEquals(5, d.steps().size());
    assertEquals(60000, d.deadlineMs());
    assertEquals(StepAction.KvOp.TXN, ((StepAction.Kv) d.step("reserve").action()).op());
    assertEquals(
        new RetryPolicy(10, 500, 10_000, 2.0), d.step("process_payment").compensationRetry());
  }

  @Test
  void startRequestsAreReadStrictly() {
    assertEquals(
        new StartRequest("o-1", "{\"amount\":5}"),
        StartRequest.fromJson("{\"id\":\"o-1\",\"input\":{\"amount\":5}}"));
    assertEquals(new StartRequest(null, "{}"), StartRequest.fromJson("{}"));
    for (String bad : List.of("[]", "{\"input\":[1]}", "{\"id\":5}", "{\"inputs\":{}}", "{")) {
      assertEquals(
          "invalid_input",
          assertThrows(SagaException.class, () -> StartRequest.fromJson(bad)).code(),
          bad);
    }
  }

  @Test
  void theDslValidatesToo() {
    SagaException e =
        assertThrows(
            SagaException.class,
            () ->
                SagaDefinition.builder("x")
                    .step("a", StepAction.java("f"), null)
                    .step("b", StepAction.java("g"), null)
                    .build());
    assertEquals("invalid_definition", e.code());
  }

  @Test
  void backoffGrowsByTheMultiplierUpToTheMaximum() {
    RetryPolicy p = new RetryPolicy(5, 100, 250, 2.0);
    assertEquals(100, p.backoffBefore(2).toMillis());
    assertEquals(200, p.backoffBefore(3).toMillis());
    assertEquals(250, p.backoffBefore(4).toMillis());
  }

  private static void assertInvalid(String expected, String json) {
    SagaException e =
        assertThrows(SagaException.class, () -> SagaDefinition.fromJson("d", json), json);
    assertEquals("invalid_definition", e.code(), e.getMessage());
    assertTrue(
        e.getMessage().contains(expected), "'" + e.getMessage() + "' lacks '" + expected + "'");
  }
}
