package dev.cohort.saga;

import static dev.cohort.testkit.Await.await;
import static dev.cohort.testkit.Await.errorCode;
import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KeyspaceSpec;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnRequest;
import dev.cohort.kv.TxnResult;
import dev.cohort.saga.internal.ViewWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Projections on one node: the three modes, rebuild, bad input, marker placement. */
class ProjectionTest {
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private static SagaTestKit t;
  private static Projections projections;

  @BeforeAll
  static void start() {
    t =
        SagaTestKit.start(
            "ProjectionTest",
            """
        cohort.saga.projection.fetch-max-wait = 200ms
        cohort.saga.projection.checkpoint-interval = 200ms
        cohort.saga.projection.sink-partitions = 8
        """);
    projections = t.sagas.projections();
  }

  @AfterAll
  static void stop() {
    t.close();
  }

  private static ProjectionStatus awaitCaughtUp(
      String name, Map<String, String> expected, String keyspace) {
    await(DEADLINE, () -> Projecting.view(t.kv, keyspace).equals(expected));
    await(
        DEADLINE,
        () -> {
          ProjectionStatus s = join(projections.get(name));
          return s.state() == ProjectionState.RUNNING
              && s.lag() == 0
              && s.partitions().stream().allMatch(p -> p.position() >= 0);
        });
    return join(projections.get(name));
  }

  @Test
  void latestCountAndSumBuildTheirViews() {
    join(t.log.createTopic("orders-modes", 3, Map.of()));
    Projecting.produce(t.log, "orders-modes", 0, 120);
    ProjectionStatus created =
        join(
            projections.createJson(
                "by-order",
                """
        {"source":{"topic":"orders-modes"},"sink":{"keyspace":"modes-latest"},"mode":"latest"}"""));
    assertTrue(created.created());
    join(
        projections.createJson(
            "count-by-user",
            """
        {"source":{"topic":"orders-modes"},"sink":{"keyspace":"modes-count"},"mode":"count",
         "keyFrom":"field:user_id"}"""));
    join(
        projections.createJson(
            "sum-by-user",
            """
        {"source":{"topic":"orders-modes"},"sink":{"keyspace":"modes-sum"},"mode":"sum",
         "field":"amount","keyFrom":"field:user_id"}"""));

    awaitCaughtUp("by-order", Projecting.latestByKey("orders-modes", 120), "modes-latest");
    awaitCaughtUp("count-by-user", Projecting.countsByUser(120), "modes-count");
    awaitCaughtUp("sum-by-user", Projecting.sumsByUser(120), "modes-sum");

    Projecting.produce(t.log, "orders-modes", 120, 200);
    awaitCaughtUp("by-order", Projecting.latestByKey("orders-modes", 200), "modes-latest");
    awaitCaughtUp("count-by-user", Projecting.countsByUser(200), "modes-count");
    ProjectionStatus sum = awaitCaughtUp("sum-by-user", Projecting.sumsByUser(200), "modes-sum");
    assertEquals(3, sum.partitions().size());
    assertEquals(200, sum.partitions().stream().mapToLong(p -> p.position()).sum());

    // creating the same definition again changes nothing
    ProjectionStatus again =
        join(
            projections.createJson(
                "sum-by-user",
                """
        {"source":{"topic":"orders-modes"},"sink":{"keyspace":"modes-sum"},"mode":"sum",
         "field":"amount","keyFrom":"field:user_id"}"""));
    assertFalse(again.created());
    assertEquals(
        "projection_exists",
        errorCode(
            projections.createJson(
                "sum-by-user",
                """
        {"source":{"topic":"orders-modes"},"sink":{"keyspace":"modes-sum"},"mode":"count"}""")));
    List<String> names = join(projections.list()).stream().map(ProjectionStatus::name).toList();
    assertTrue(
        names.containsAll(List.of("by-order", "count-by-user", "sum-by-user")), names::toString);
  }

  @Test
  void rebuildClearsAndReplaysToTheSameView() {
    join(t.log.createTopic("orders-rebuild", 2, Map.of()));
    Projecting.produce(t.log, "orders-rebuild", 0, 90);
    ProjectionStatus first =
        join(
            projections.createJson(
                "rebuild-sum",
                """
        {"source":{"topic":"orders-rebuild"},"sink":{"keyspace":"rebuild-sum"},"mode":"sum",
         "field":"amount","keyFrom":"field:user_id"}"""));
    awaitCaughtUp("rebuild-sum", Projecting.sumsByUser(90), "rebuild-sum");
    Map<String, KeyValue> before = Projecting.withRevisions(t.kv, "rebuild-sum");

    ProjectionStatus rebuilding = join(projections.rebuild("rebuild-sum"));
    assertEquals(ProjectionState.REBUILDING, rebuilding.state());
    assertEquals(first.generation() + 1, rebuilding.generation());
    ProjectionStatus after = awaitCaughtUp("rebuild-sum", Projecting.sumsByUser(90), "rebuild-sum");
    assertEquals(first.generation() + 1, after.generation());

    // every view key was deleted and written again, not left in place
    Map<String, KeyValue> rebuilt = Projecting.withRevisions(t.kv, "rebuild-sum");
    assertEquals(before.keySet(), rebuilt.keySet());
    for (String key : before.keySet()) {
      assertTrue(
          rebuilt.get(key).createRevision() > before.get(key).createRevision(),
          "key " + key + " was not re-created by the rebuild");
    }

    // stop, produce, resume: continues from the committed offsets
    assertEquals(ProjectionState.STOPPED, join(projections.stop("rebuild-sum")).state());
    Projecting.produce(t.log, "orders-rebuild", 90, 130);
    assertEquals(ProjectionState.RUNNING, join(projections.resume("rebuild-sum")).state());
    awaitCaughtUp("rebuild-sum", Projecting.sumsByUser(130), "rebuild-sum");

    join(projections.delete("rebuild-sum"));
    assertEquals("projection_not_found", errorCode(projections.get("rebuild-sum")));
    assertFalse(join(projections.list()).stream().anyMatch(s -> s.name().equals("rebuild-sum")));
  }

  @Test
  void partitionsAddedLaterAreConsumed() {
    join(t.log.createTopic("orders-grow", 1, Map.of()));
    Projecting.produce(t.log, "orders-grow", 0, 20);
    join(
        projections.createJson(
            "grow-count",
            """
        {"source":{"topic":"orders-grow"},"sink":{"keyspace":"grow-count"},"mode":"count",
         "keyFrom":"field:user_id"}"""));
    awaitCaughtUp("grow-count", Projecting.countsByUser(20), "grow-count");
    join(t.log.createPartitions("orders-grow", 3));
    Projecting.produce(t.log, "orders-grow", 20, 80);
    awaitCaughtUp("grow-count", Projecting.countsByUser(80), "grow-count");
    assertEquals(3, join(projections.get("grow-count")).partitions().size());
  }

  @Test
  void badInputIsRefusedAndNothingIsStored() {
    join(t.log.createTopic("orders-bad", 1, Map.of()));
    Map<String, String> bad =
        Map.of(
            "bad-mode",
                """
            {"source":{"topic":"orders-bad"},"sink":{"keyspace":"bad"},"mode":"median"}""",
            "bad-sum",
                """
            {"source":{"topic":"orders-bad"},"sink":{"keyspace":"bad"},"mode":"sum"}""",
            "bad-keyfrom",
                """
            {"source":{"topic":"orders-bad"},"sink":{"keyspace":"bad"},"mode":"count",
             "keyFrom":"value"}""",
            "bad-topic",
                """
            {"source":{"topic":"no-such-topic"},"sink":{"keyspace":"bad"},"mode":"count"}""",
            "bad-keyspace",
                """
            {"source":{"topic":"orders-bad"},"sink":{"keyspace":"Bad Space"},"mode":"count"}""",
            "bad-field",
                """
            {"source":{"topic":"orders-bad"},"sink":{"keyspace":"bad"},"mode":"count","x":1}""",
            "bad-json", "{\"source\":");
    Map<String, String> codes = new java.util.TreeMap<>();
    bad.forEach((name, json) -> codes.put(name, errorCode(projections.createJson(name, json))));
    assertEquals(
        Map.of(
            "bad-mode", "invalid_projection",
            "bad-sum", "invalid_projection",
            "bad-keyfrom", "invalid_projection",
            "bad-topic", "unknown_topic",
            "bad-keyspace", "invalid_keyspace_name",
            "bad-field", "invalid_projection",
            "bad-json", "invalid_projection"),
        codes);
    for (String name : bad.keySet()) {
      assertEquals("projection_not_found", errorCode(projections.get(name)));
    }
    assertFalse(join(projections.list()).stream().anyMatch(s -> s.name().startsWith("bad-")));
    assertEquals(
        "keyspace_not_found",
        assertThrows(dev.cohort.kv.KvException.class, () -> join(t.kv.keyspace("bad"))).code());
    assertEquals("projection_not_found", errorCode(projections.rebuild("never-created")));
  }

  @Test
  void offsetMarkersShareTheirViewKeysPartition() {
    join(t.kv.createKeyspace("marker-placement", KeyspaceSpec.cp(64)));
    for (String key : List.of("plain", "{user42}/name", "a{b", "x{y}z{w}", "ü-ñ", "{t}", "a}{b}")) {
      String marker = ViewWriter.markerKey("p", 3, key);
      // one header: a single-partition transaction (two partitions would run two-phase commit)
      TxnResult both =
          join(
              t.kv.txn(
                  "marker-placement",
                  new TxnRequest(
                      List.of(),
                      List.of(new TxnOp.Put(key, "v"), new TxnOp.Put(marker, "1")),
                      List.of())));
      assertTrue(both.succeeded());
      assertEquals(1, both.headers().size(), key);
    }
    for (String key : List.of("a}b", "{}x")) {
      assertThrows(ViewWriter.ViewFailure.class, () -> ViewWriter.markerKey("p", 3, key));
    }
  }
}
