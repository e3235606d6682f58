package dev.cohort.saga;

import static dev.cohort.testkit.Await.errorCode;
import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.kv.KeyspaceSpec;
import dev.cohort.log.ConsumerRecord;
import dev.cohort.observability.Metrics;
import dev.cohort.testkit.Await;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The source document's order saga (create order → deduct inventory → payment fails → restore
 * inventory → cancel order) with java steps, plus kv and log steps, idempotent starts, listing,
 * updates, the events topic, deadlines, bad input and metrics, on a one-node cluster.
 */
class OrderSagaTest {
  private static final SagaTestKit node = SagaTestKit.start("OrderSagaTest");

  /** Every java step call, as "function sagaId": what the engine ran, in order. */
  private static final List<String> calls = new CopyOnWriteArrayList<>();

  /** The context each compensation saw. */
  private static final List<StepContext> seen = new CopyOnWriteArrayList<>();

  /** Every generic step call, as "sagaId phase step". */
  private static final List<String> trace = new CopyOnWriteArrayList<>();

  static {
    Sagas sagas = node.sagas;
    sagas.registerFunction(
        "step_ok",
        ctx -> {
          trace.add(ctx.sagaId() + " " + ctx.phase() + " " + ctx.step());
          return CompletableFuture.completedFuture(Map.of(ctx.step() + "_done", true));
        });
    sagas.registerFunction(
        "step_fail",
        ctx -> {
          trace.add(ctx.sagaId() + " " + ctx.phase() + " " + ctx.step());
          throw StepFailure.permanent("declined");
        });
    sagas.registerFunction("create_order", ctx -> call(ctx, Map.of("order_id", "ORD-001")));
    sagas.registerFunction("cancel_order", ctx -> call(ctx, Map.of()));
    sagas.registerFunction(
        "deduct_inventory", ctx -> call(ctx, Map.of("inventory_reserved", true)));
    sagas.registerFunction("restore_inventory", ctx -> call(ctx, Map.of()));
    sagas.registerFunction(
        "process_payment",
        ctx -> {
          calls.add("process_payment " + ctx.sagaId());
          return CompletableFuture.failedFuture(new RuntimeException("Payment gateway timeout"));
        });
    sagas.registerFunction("refund_payment", ctx -> call(ctx, Map.of()));
    sagas.registerBlockingFunction(
        "pay_ok",
        ctx -> {
          calls.add("pay_ok " + ctx.sagaId());
          return Map.of("paid", ctx.input().get("amount"));
        });
    sagas.registerFunction(
        "huge_output",
        ctx -> CompletableFuture.completedFuture(Map.of("blob", "x".repeat(70 * 1024))));
    sagas.registerFunction(
        "always_retry",
        ctx -> {
          calls.add("always_retry " + ctx.sagaId());
          return CompletableFuture.failedFuture(StepFailure.retryable("not yet"));
        });
  }

  private static CompletableFuture<Map<String, Object>> call(
      StepContext ctx, Map<String, Object> output) {
    calls.add(
        ctx.step().equals("create_order") && ctx.phase() == StepPhase.ACTION
            ? "create_order " + ctx.sagaId()
            : functionOf(ctx) + " " + ctx.sagaId());
    if (ctx.phase() == StepPhase.COMPENSATION) {
      seen.add(ctx);
    }
    return CompletableFuture.completedFuture(output);
  }

  private static String functionOf(StepContext ctx) {
    return switch (ctx.step() + "/" + ctx.phase()) {
      case "create_order/COMPENSATION" -> "cancel_order";
      case "deduct_inventory/ACTION" -> "deduct_inventory";
      case "deduct_inventory/COMPENSATION" -> "restore_inventory";
      case "process_payment/COMPENSATION" -> "refund_payment";
      default -> ctx.step();
    };
  }

  static SagaDefinition orderSaga() {
    return Examples.orderSaga();
  }

  @AfterAll
  static void shutdown() {
    node.close();
  }

  private static List<String> callsOf(String id) {
    return calls.stream().filter(c -> c.endsWith(" " + id)).map(c -> c.split(" ")[0]).toList();
  }

  @Test
  void paymentFailureCompensatesInReverseOrderAndNeverRefunds() {
    SagaDefinition stored = join(node.sagas.define(orderSaga()));
    assertTrue(stored.version() >= 1);
    StartResult started =
        join(node.sagas.start("order", "order-1", Map.of("user_id", "user-123", "amount", 50000)));
    assertTrue(started.created());

    SagaInstance done = node.awaitState("order-1", SagaState.COMPENSATED);

    // CompensationsReverseOrder: undo runs from the last completed step back to the first; the
    // payment's refund never runs because its action never completed.
    assertEquals(
        List.of(
            "create_order",
            "deduct_inventory",
            "process_payment",
            "process_payment",
            "restore_inventory",
            "cancel_order"),
        callsOf("order-1"));
    assertEquals(
        List.of(StepStatus.COMPENSATED, StepStatus.COMPENSATED, StepStatus.FAILED),
        done.steps().stream().map(StepRecord::status).toList());
    StepRecord payment = done.step("process_payment");
    assertEquals(2, payment.attempts().size());
    assertTrue(
        payment.attempts().stream()
            .allMatch(
                a ->
                    a.outcome() == Attempt.Outcome.FAILED
                        && a.error().orElseThrow().contains("Payment gateway timeout")));
    assertTrue(payment.attempts(StepPhase.COMPENSATION).isEmpty());
    assertTrue(done.error().orElseThrow().contains("process_payment"));
    assertTrue(
        Metrics.get(node.kit.system())
            .scrape()
            .contains("cohort_saga_compensations_total{definition=\"order\"}"));

    // the compensations saw the context the actions built, output merged
    StepContext cancel =
        seen.stream()
            .filter(c -> c.sagaId().equals("order-1") && c.step().equals("create_order"))
            .findFirst()
            .orElseThrow();
    assertEquals("ORD-001", cancel.get("order_id"));
    assertEquals(true, cancel.get("inventory_reserved"));
    assertEquals("order-1:create_order:compensation", cancel.idempotencyKey());
    assertEquals(
        Map.of("order_id", "ORD-001"),
        done.contextMap().get("steps") instanceof Map<?, ?> steps
            ? ((Map<?, ?>) steps.get("create_order")).get("output")
            : null);
    assertEquals(50000, done.inputMap().get("amount"));
    var json = dev.cohort.saga.internal.JsonValues.parseObject(done.toJson());
    assertEquals("COMPENSATED", json.get("state"));
    assertEquals("ORD-001", ((Map<?, ?>) json.get("context")).get("order_id"));

    // every attempt is timestamped in order
    List<java.time.Instant> starts = new ArrayList<>();
    done.steps().forEach(s -> s.attempts().forEach(a -> starts.add(a.startedAt())));
    assertTrue(
        done.updatedAt().isAfter(done.startedAt()) || done.updatedAt().equals(done.startedAt()));
    starts.forEach(t -> assertFalse(t.isBefore(done.startedAt())));
  }

  /**
   * CompensationsReverseOrder, over seeded random sagas: whichever step fails, exactly the steps
   * whose action completed (and that have a compensation) are compensated, last first; the failed
   * step and the steps after it are never compensated.
   */
  @Test
  void compensationsRunInReverseOrderWhicheverStepFails() {
    java.util.Random random = new java.util.Random(20261129L);
    Map<String, List<String>> expected = new java.util.HashMap<>();
    for (int run = 0; run < 12; run++) {
      int n = 2 + random.nextInt(6);
      int failAt = random.nextInt(n + 1); // n: nothing fails
      SagaDefinition.Builder b = SagaDefinition.builder("reverse-" + run);
      List<String> want = new ArrayList<>();
      List<String> undo = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String name = "s" + i;
        boolean undoable = i == n - 1 || random.nextInt(4) > 0;
        StepAction action = StepAction.java(i == failAt ? "step_fail" : "step_ok");
        b.step(
            undoable
                ? SagaStep.of(name, action, StepAction.java("step_ok")).withRetry(RetryPolicy.NONE)
                : SagaStep.withoutCompensation(name, action));
        if (i <= failAt) {
          want.add("ACTION " + name);
        }
        if (failAt < n && i < failAt && undoable) {
          undo.add(0, "COMPENSATION " + name);
        }
      }
      want.addAll(undo);
      String id = "rev-" + run;
      expected.put(id, want);
      join(node.sagas.define(b.build()));
      join(node.sagas.start("reverse-" + run, id, Map.of()));
    }
    for (Map.Entry<String, List<String>> e : expected.entrySet()) {
      SagaInstance done =
          node.awaitInstance(e.getKey(), Duration.ofSeconds(20), i -> i.state().terminal());
      List<String> ran =
          trace.stream()
              .filter(t -> t.startsWith(e.getKey() + " "))
              .map(t -> t.substring(e.getKey().length() + 1))
              .toList();
      assertEquals(e.getValue(), ran, e.getKey() + " ended " + done.state());
      boolean failed =
          e.getValue().stream().anyMatch(t -> t.startsWith("COMPENSATION"))
              || done.steps().stream().anyMatch(st -> st.status() == StepStatus.FAILED);
      assertEquals(failed ? SagaState.COMPENSATED : SagaState.COMPLETED, done.state());
    }
  }

  @Test
  void startingTheSameIdAgainNeverRunsItTwice() {
    join(node.sagas.define(orderSaga()));
    SagaDefinition ok =
        SagaDefinition.builder("pay-ok")
            .step(SagaStep.withoutCompensation("pay", StepAction.java("pay_ok")))
            .build();
    join(node.sagas.define(ok));
    StartResult first = join(node.sagas.start("pay-ok", "same-id", Map.of("amount", 7)));
    node.awaitState("same-id", SagaState.COMPLETED);
    StartResult second = join(node.sagas.start("pay-ok", "same-id", Map.of("amount", 8)));
    assertTrue(first.created());
    assertFalse(second.created());
    assertEquals(SagaState.COMPLETED, second.instance().state());
    assertEquals(7, second.instance().inputMap().get("amount"));
    assertEquals(List.of("pay_ok"), callsOf("same-id"));
    assertEquals(7, second.instance().contextMap().get("paid"));
    assertEquals("instance_exists", errorCode(node.sagas.start("order", "same-id", Map.of())));
    assertEquals("invalid_state", errorCode(node.sagas.retry("same-id")));
    assertEquals("invalid_state", errorCode(node.sagas.resolve("same-id", "why not")));
  }

  @Test
  void kvAndLogStepsWriteThroughTheServices() {
    join(node.kv.createKeyspace("orders", KeyspaceSpec.cp(2)));
    join(node.log.createTopic("order-events", 1, Map.of()));
    SagaDefinition d =
        SagaDefinition.fromJson(
            "kv-log",
            """
        {"steps":[
          {"name":"create_order",
           "action":{"kv":{"op":"put","keyspace":"orders","key":"${sagaId}","value":"created"}},
           "compensation":{"kv":{"op":"put","keyspace":"orders","key":"${sagaId}","value":"cancelled"}}},
          {"name":"announce",
           "action":{"log":{"topic":"order-events","key":"${sagaId}",
                            "value":{"order":"${sagaId}","rev":"${steps.create_order.output.revision}"}}},
           "noCompensation":true},
          {"name":"fail", "action":{"java":"always_retry"}, "retry":{"maxAttempts":1}}
        ]}
        """);
    join(node.sagas.define(d));
    join(node.sagas.start("kv-log", "kv-1", Map.of()));
    SagaInstance done = node.awaitState("kv-1", SagaState.COMPENSATED);
    assertEquals(
        "cancelled",
        new String(join(node.kv.get("orders", "kv-1")).kv().value(), StandardCharsets.UTF_8));
    List<ConsumerRecord> records = join(node.log.fetch("order-events", 0, 0)).records();
    assertEquals(1, records.size());
    assertEquals("kv-1", records.get(0).keyString());
    assertTrue(
        records.get(0).valueString().startsWith("{\"order\":\"kv-1\",\"rev\":"),
        records.get(0).valueString());
    assertEquals(
        "kv-1:announce:action",
        new String(records.get(0).headers().get("idempotency-key"), StandardCharsets.UTF_8));
    assertEquals(StepStatus.SUCCEEDED, done.step("announce").status());
  }

  @Test
  void theDeadlineCompensatesARetryingSaga() {
    SagaDefinition d =
        SagaDefinition.builder("deadline")
            .step(
                "reserve",
                StepAction.java("deduct_inventory"),
                StepAction.java("restore_inventory"))
            .step(
                SagaStep.of("wait", StepAction.java("always_retry"), null)
                    .withRetry(new RetryPolicy(1000, 100, 100, 1.0)))
            .deadline(Duration.ofMillis(800))
            .build();
    join(node.sagas.define(d));
    join(node.sagas.start("deadline", "deadline-1", Map.of()));
    SagaInstance done = node.awaitState("deadline-1", SagaState.COMPENSATED);
    assertTrue(done.error().orElseThrow().contains("deadline"), done.error().toString());
    assertEquals(StepStatus.FAILED, done.step("wait").status());
    assertEquals(StepStatus.COMPENSATED, done.step("reserve").status());
    assertTrue(done.deadline().isPresent());
  }

  @Test
  void listsUpdatesAndTheEventsTopicFollowInstances() throws Exception {
    var updates =
        node.sagas
            .updates()
            .filter(u -> u.id().equals("listed-1"))
            .takeWhile(u -> !u.state().terminal(), true)
            .runWith(Sink.seq(), node.kit.system());
    SagaDefinition ok =
        SagaDefinition.builder("listed")
            .step(SagaStep.withoutCompensation("pay", StepAction.java("pay_ok")))
            .build();
    join(node.sagas.define(ok));
    // updates() subscribed while materializing: the topic saw the subscription before any
    // publish of this instance (one mailbox, in order)
    join(node.sagas.start("listed", "listed-1", Map.of("amount", 1)));
    node.awaitState("listed-1", SagaState.COMPLETED);

    List<String> events = join(updates).stream().map(SagaUpdate::event).toList();
    assertEquals("completed", events.get(events.size() - 1));
    assertTrue(events.contains("step_succeeded"), events.toString());

    Await.await(
        Duration.ofSeconds(10),
        () ->
            join(node.sagas.list(Optional.of("listed"), Optional.of(SagaState.COMPLETED))).stream()
                .anyMatch(s -> s.id().equals("listed-1")));
    assertTrue(
        join(node.sagas.list(Optional.of("listed"), Optional.of(SagaState.RUNNING))).isEmpty());

    Await.await(
        Duration.ofSeconds(10),
        () ->
            topicValues().stream()
                .anyMatch(
                    v ->
                        v.contains("\"id\":\"listed-1\"")
                            && v.contains("\"event\":\"completed\"")));

    String scrape = Metrics.get(node.kit.system()).scrape();
    assertTrue(
        scrape
            .lines()
            .anyMatch(
                l ->
                    l.startsWith("cohort_saga_steps_total{")
                        && l.contains("definition=\"listed\"")
                        && l.contains("outcome=\"succeeded\"")),
        scrape);
    assertTrue(
        scrape.contains("cohort_saga_instances{definition=\"listed\",state=\"COMPLETED\"}"),
        scrape);
    assertTrue(scrape.contains("cohort_saga_step_seconds_bucket"), scrape);
  }

  private static List<String> topicValues() {
    List<String> values = new ArrayList<>();
    int partitions = join(node.log.describeTopic("_cohort.saga-events")).partitions().size();
    for (int p = 0; p < partitions; p++) {
      join(node.log.fetch("_cohort.saga-events", p, 0))
          .records()
          .forEach(r -> values.add(r.valueString()));
    }
    return values;
  }

  @Test
  void badInputIsATypedErrorAndStoresNothing() {
    List<SagaDefinition> before = join(node.sagas.definitions());
    assertEquals("definition_not_found", errorCode(node.sagas.start("no-such", "x-1", Map.of())));
    assertEquals("instance_not_found", errorCode(node.sagas.get("x-1")));
    assertEquals(
        "invalid_definition",
        errorCode(
            node.sagas.defineJson(
                "bad", "{\"steps\":[{\"name\":\"a\",\"action\":{\"soap\":{}}}]}")));
    assertEquals(
        "invalid_definition",
        errorCode(
            node.sagas.defineJson(
                "bad",
                "{\"steps\":[{\"name\":\"a\",\"action\":{\"java\":\"f\"}},{\"name\":\"a\","
                    + "\"action\":{\"java\":\"f\"}}]}")));
    assertEquals("definition_not_found", errorCode(node.sagas.definition("bad")));
    assertEquals(before, join(node.sagas.definitions()));

    join(node.sagas.define(orderSaga()));
    String big = "x".repeat(65 * 1024);
    assertEquals(
        "context_too_large", errorCode(node.sagas.start("order", "big-1", Map.of("blob", big))));
    assertEquals("instance_not_found", errorCode(node.sagas.get("big-1")));
    assertEquals("invalid_input", errorCode(node.sagas.startJson("order", "j-1", "[1,2]")));
    assertEquals("invalid_input", errorCode(node.sagas.start("order", "bad id!", Map.of())));

    SagaDefinition unknownFn =
        SagaDefinition.builder("unknown-fn")
            .step(SagaStep.withoutCompensation("a", StepAction.java("nobody_registered_this")))
            .build();
    join(node.sagas.define(unknownFn));
    assertEquals("unknown_function", errorCode(node.sagas.start("unknown-fn", "u-1", Map.of())));
    assertEquals("instance_not_found", errorCode(node.sagas.get("u-1")));
  }

  @Test
  void anOutputThatOverflowsTheContextFailsTheStepForGood() {
    join(
        node.sagas.define(
            SagaDefinition.builder("huge")
                .step(
                    "reserve",
                    StepAction.java("deduct_inventory"),
                    StepAction.java("restore_inventory"))
                .step("huge", StepAction.java("huge_output"), null)
                .build()));
    join(node.sagas.start("huge", "huge-1", Map.of()));
    SagaInstance done = node.awaitState("huge-1", SagaState.COMPENSATED);
    assertEquals(1, done.step("huge").attempts().size(), "not retried");
    assertTrue(done.error().orElseThrow().contains("makes the context"), done.error().toString());
    assertTrue(done.context().length() < 64 * 1024);
    assertEquals(StepStatus.COMPENSATED, done.step("reserve").status());
    assertEquals(2, callsOf("huge-1").size(), "reserve ran once and was undone once");
  }

  @Test
  void definitionsAreVersionedAndInstancesKeepTheirVersion() {
    SagaDefinition v1 =
        SagaDefinition.builder("versioned")
            .step(SagaStep.withoutCompensation("pay", StepAction.java("pay_ok")))
            .build();
    SagaDefinition first = join(node.sagas.define(v1));
    assertEquals(first, join(node.sagas.define(v1)), "an equal definition is not a new version");
    StartResult onV1 = join(node.sagas.start("versioned", "v-1", Map.of("amount", 1)));
    SagaDefinition second =
        join(
            node.sagas.define(
                v1.withSteps(
                    List.of(
                        SagaStep.withoutCompensation("pay", StepAction.java("pay_ok")),
                        SagaStep.withoutCompensation("again", StepAction.java("pay_ok"))))));
    assertEquals(first.version() + 1, second.version());
    assertEquals(first.version(), node.awaitState("v-1", SagaState.COMPLETED).version());
    assertEquals(1, node.awaitState("v-1", SagaState.COMPLETED).steps().size());
    assertEquals(first, join(node.sagas.definition("versioned", first.version())));
    assertEquals(second, join(node.sagas.definition("versioned")));
    // stored definitions carry the node's defaults, so they do not depend on the node
    assertEquals(10_000, second.steps().get(0).timeoutMs());
    join(node.sagas.deleteDefinition("versioned"));
    assertEquals("definition_not_found", errorCode(node.sagas.definition("versioned")));
    assertEquals("definition_not_found", errorCode(node.sagas.start("versioned", "v-2", Map.of())));
    assertEquals(SagaState.COMPLETED, join(node.sagas.get(onV1.instance().id())).state());
    assertEquals(second.version() + 1, join(node.sagas.define(v1)).version());
  }
}
