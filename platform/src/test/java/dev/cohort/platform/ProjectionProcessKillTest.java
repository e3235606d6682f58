package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Exactly-once across a real crash: a node process runs a count and a sum projection from a topic
 * into kv keyspaces, is SIGKILLed while the projections are in the middle of the topic, and is
 * started again on the same data directory. Nothing is committed before the kill (the checkpoint
 * interval is an hour), so the restarted node replays every record that was already applied; the
 * views must still equal the produced records exactly. The sum view makes a record applied twice
 * visible (its amount counted twice), the count view one applied twice or never.
 */
@Tag("fault")
class ProjectionProcessKillTest {
  private static final ObjectMapper json = new ObjectMapper();
  private static final Duration READY = Duration.ofSeconds(60);
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private static final int USERS = 7;
  private static final int FIRST = 1500;
  private static final int TOTAL = 1600;

  @Test
  void everyRecordIsAppliedExactlyOnceAcrossASigkill() throws Exception {
    Path data = Files.createTempDirectory("cohort-kill-projection");
    Path config = Files.createTempFile("cohort-kill-projection-", ".conf");
    // Small fetches keep the projections mid-stream long enough to be killed there; an hour
    // between offset commits means the restart replays everything applied before the kill.
    Files.writeString(
        config,
        """
        cohort.saga.projection.checkpoint-interval = 1h
        cohort.saga.projection.fetch-max-wait = 200ms
        cohort.saga.projection.max-poll-records = 7
        """);
    int http = NodeProcess.freePort();
    int remote = NodeProcess.freePort();
    try (NodeProcess node = NodeProcess.start(data, http, remote, "--config", config.toString())) {
      node.awaitReady(READY);
      assertEquals(
          201,
          node.post("/v1/topics", "{\"name\":\"orders\",\"partitions\":3}").statusCode(),
          node.logText());
      produce(node, 0, FIRST);
      createProjection(
          node,
          "count",
          "{\"source\":{\"topic\":\"orders\"},\"sink\":{\"keyspace\":\"count-view\"},"
              + "\"mode\":\"count\",\"keyFrom\":\"field:user_id\"}");
      createProjection(
          node,
          "sum",
          "{\"source\":{\"topic\":\"orders\"},\"sink\":{\"keyspace\":\"sum-view\"},"
              + "\"mode\":\"sum\",\"field\":\"amount\",\"keyFrom\":\"field:user_id\"}");

      awaitView(node, "count-view", view -> total(view) >= 100);
      JsonNode count = json.readTree(node.get("/v1/projections/count").body());
      for (JsonNode p : count.get("partitions")) {
        assertEquals(
            0, p.get("offset").asLong(), "nothing may be committed before the kill: " + count);
      }
      long appliedBeforeKill = total(view(node, "count-view"));
      node.kill();
      assertTrue(
          appliedBeforeKill < FIRST,
          "the kill must come mid-stream: " + appliedBeforeKill + " of " + FIRST + " applied");
      System.out.printf(
          "projection kill: SIGKILL after %d of %d records applied, none committed%n",
          appliedBeforeKill, FIRST);
    }
    try (NodeProcess again = NodeProcess.start(data, http, remote, "--config", config.toString())) {
      again.awaitReady(READY);
      produce(again, FIRST, TOTAL);
      // Counts and sums only grow: wait until they reach the totals (a duplicate overshoots), then
      // compare them exactly once the projections are at the end of the topic.
      awaitView(again, "count-view", view -> total(view) >= total(countsByUser(TOTAL)));
      awaitView(again, "sum-view", view -> total(view) >= total(sumsByUser(TOTAL)));
      awaitCaughtUp(again, "count");
      awaitCaughtUp(again, "sum");
      assertEquals(countsByUser(TOTAL), view(again, "count-view"), "ExactlyOnce: counts");
      assertEquals(sumsByUser(TOTAL), view(again, "sum-view"), "ExactlyOnce: sums");
      assertEquals(0, again.terminate(Duration.ofSeconds(30)));
    }
  }

  /** Order {@code i}: user {@code u<i % USERS>}, amount {@code i}. */
  private static void produce(NodeProcess node, int from, int to) throws Exception {
    for (int start = from; start < to; start += 250) {
      StringBuilder body = new StringBuilder("{\"acks\":\"all\",\"records\":[");
      for (int i = start; i < Math.min(to, start + 250); i++) {
        body.append(i == start ? "" : ",")
            .append("{\"key\":\"order-")
            .append(i)
            .append("\",\"value\":")
            .append(
                json.writeValueAsString(
                    "{\"user_id\":\"u" + (i % USERS) + "\",\"amount\":" + i + "}"))
            .append('}');
      }
      var response = node.post("/v1/topics/orders/records", body.append("]}").toString());
      assertEquals(200, response.statusCode(), response.body());
    }
  }

  private static void createProjection(NodeProcess node, String name, String body)
      throws Exception {
    var response = node.put("/v1/projections/" + name, body);
    assertEquals(201, response.statusCode(), response.body());
  }

  /** The view's keys (offset markers left out: they start with their hash tag) and values. */
  private static Map<String, String> view(NodeProcess node, String keyspace) throws Exception {
    Map<String, String> view = new TreeMap<>();
    var response =
        node.get(
            "/v1/kv/"
                + keyspace
                + "/keys?prefix="
                + URLEncoder.encode("u", StandardCharsets.UTF_8)
                + "&limit=1000");
    if (response.statusCode() == 404) {
      return view; // the sink keyspace is created with the projection's first write
    }
    JsonNode body = json.readTree(response.body());
    assertEquals(200, response.statusCode(), response.body());
    assertTrue(!body.get("more").asBoolean(), "one page holds the view: " + response.body());
    for (JsonNode kv : body.get("kvs")) {
      view.put(kv.get("key").asText(), kv.get("value").asText());
    }
    return view;
  }

  private static long total(Map<String, String> counts) {
    return counts.values().stream().mapToLong(Long::parseLong).sum();
  }

  private static void awaitView(
      NodeProcess node, String keyspace, Predicate<Map<String, String>> condition)
      throws Exception {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    Map<String, String> view = view(node, keyspace);
    while (!condition.test(view)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            keyspace + " not as expected within " + DEADLINE + ": " + view + "\n" + node.logText());
      }
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
      view = view(node, keyspace);
    }
  }

  private static void awaitCaughtUp(NodeProcess node, String projection) throws Exception {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (true) {
      JsonNode status = json.readTree(node.get("/v1/projections/" + projection).body());
      if (status.get("state").asText().equals("RUNNING") && status.get("lag").asLong() == 0) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            projection + " did not catch up within " + DEADLINE + ": " + status);
      }
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
  }

  private static Map<String, String> countsByUser(int n) {
    Map<String, String> view = new TreeMap<>();
    for (int u = 0; u < USERS; u++) {
      long count = 0;
      for (int i = u; i < n; i += USERS) {
        count++;
      }
      view.put("u" + u, Long.toString(count));
    }
    return view;
  }

  private static Map<String, String> sumsByUser(int n) {
    Map<String, String> view = new TreeMap<>();
    for (int u = 0; u < USERS; u++) {
      long sum = 0;
      for (int i = u; i < n; i += USERS) {
        sum += i;
      }
      view.put("u" + u, Long.toString(sum));
    }
    return view;
  }
}
