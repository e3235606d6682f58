package dev.cohort.platform;

import static dev.cohort.platform.HttpTestClient.assertError;
import static dev.cohort.platform.HttpTestClient.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The stream log through the HTTP gateway of an embedded node. */
@Tag("integration")
class LogHttpTest {
  private static CohortNode node;
  private static HttpTestClient http;

  @BeforeAll
  static void start() throws Exception {
    node = Cohort.start(HttpTestClient.embeddedNode("cohort-log-http").build());
    http = new HttpTestClient(node);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void produceAndFetchRecordsWithKeysHeadersAndBinaryValues() throws Exception {
    assertEquals(
        201,
        http.send(
                "POST",
                "/v1/topics",
                "{\"name\":\"events\",\"partitions\":2,\"configs\":{\"compression.type\":\"lz4\"}}")
            .statusCode());
    JsonNode produced =
        ok(
            http.send(
                "POST",
                "/v1/topics/events/records",
                "{\"acks\":\"all\",\"records\":[{\"key\":\"u1\",\"value\":\"a\",\"headers\":{\"h\":\"v\"},\"partition\":1},"
                    + "{\"key\":\"u1\",\"valueBase64\":\"/w==\",\"partition\":1}]}"));
    assertEquals(0, produced.get("offsets").get(0).get("offset").asLong());
    assertEquals(1, produced.get("offsets").get(1).get("offset").asLong());

    JsonNode fetched =
        ok(
            http.send(
                "GET",
                "/v1/topics/events/partitions/1/records?offset=0&maxRecords=10&maxWaitMs=0",
                null));
    assertEquals(2, fetched.get("records").size());
    assertEquals("a", fetched.get("records").get(0).get("value").asText());
    assertEquals("v", fetched.get("records").get(0).get("headers").get("h").asText());
    assertEquals("/w==", fetched.get("records").get(1).get("valueBase64").asText());
    assertEquals(2, fetched.get("highWatermark").asLong());

    JsonNode described = ok(http.send("GET", "/v1/topics/events", null));
    assertEquals("lz4", described.get("configs").get("compression.type").asText());
    assertEquals(2, described.get("partitions").get(1).get("logEndOffset").asLong());
  }

  @Test
  void groupMembersSharePartitionsFetchAndCommit() throws Exception {
    ok(http.send("POST", "/v1/topics", "{\"name\":\"orders\",\"partitions\":4}"));
    StringBuilder records = new StringBuilder("{\"records\":[");
    for (int i = 0; i < 10; i++) {
      records
          .append(i == 0 ? "" : ",")
          .append("{\"key\":\"user-")
          .append(i % 3)
          .append("\",\"value\":\"order-")
          .append(i)
          .append("\"}");
    }
    ok(http.send("POST", "/v1/topics/orders/records", records.append("]}").toString()));

    JsonNode first =
        ok(
            http.send(
                "POST",
                "/v1/groups/billing/members",
                "{\"topics\":[\"orders\"],\"autoOffsetReset\":\"earliest\"}"));
    JsonNode second =
        ok(
            http.send(
                "POST",
                "/v1/groups/billing/members",
                "{\"topics\":[\"orders\"],\"autoOffsetReset\":\"earliest\"}"));
    String m1 = first.get("memberId").asText();
    String m2 = second.get("memberId").asText();
    // Members heartbeat until the rebalance has settled: partitions move only after their
    // previous owner gave them up, so it takes a round or two.
    Set<String> owned = new HashSet<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (owned.size() < 4 && System.nanoTime() < deadline) {
      JsonNode a1 = ok(http.send("POST", "/v1/groups/billing/members/" + m1 + "/heartbeat", "{}"));
      JsonNode a2 = ok(http.send("POST", "/v1/groups/billing/members/" + m2 + "/heartbeat", "{}"));
      owned.clear();
      a1.get("assignment").forEach(tp -> owned.add(tp.get("partition").asText()));
      a2.get("assignment")
          .forEach(tp -> assertTrue(owned.add(tp.get("partition").asText()), "overlap"));
    }
    assertEquals(Set.of("0", "1", "2", "3"), owned);

    int total = 0;
    for (String member : new String[] {m1, m2}) {
      JsonNode fetched =
          ok(
              http.send(
                  "GET",
                  "/v1/groups/billing/members/" + member + "/records?maxRecords=100&maxWaitMs=200",
                  null));
      total += fetched.get("records").size();
      int generation = fetched.get("generation").asInt();
      for (JsonNode r : fetched.get("records")) {
        ok(
            http.send(
                "POST",
                "/v1/groups/billing/offsets",
                "{\"memberId\":\""
                    + member
                    + "\",\"generation\":"
                    + generation
                    + ",\"offsets\":[{\"topic\":\"orders\",\"partition\":"
                    + r.get("partition").asInt()
                    + ",\"offset\":"
                    + (r.get("offset").asLong() + 1)
                    + "}]}"));
      }
    }
    assertEquals(10, total);
    JsonNode group = ok(http.send("GET", "/v1/groups/billing", null));
    long committed = 0;
    for (JsonNode o : group.get("offsets")) {
      if (o.get("committedOffset").asLong() >= 0) {
        committed += o.get("committedOffset").asLong();
        assertEquals(0, o.get("lag").asLong(), o.toString());
      }
    }
    assertEquals(10, committed, "every record's offset committed once");
    assertError(
        http.send(
            "POST",
            "/v1/groups/billing/offsets",
            "{\"memberId\":\""
                + m1
                + "\",\"generation\":-5,\"offsets\":[{\"topic\":\"orders\",\"partition\":0,\"offset\":1}]}"),
        409,
        "illegal_generation");
    ok(http.send("DELETE", "/v1/groups/billing/members/" + m1, null));
    ok(http.send("DELETE", "/v1/groups/billing/members/" + m2, null));
  }

  @Test
  void badInputIsA4xxAndWritesNothing() throws Exception {
    ok(
        http.send(
            "POST",
            "/v1/topics",
            "{\"name\":\"strict\",\"partitions\":1,\"configs\":{\"max.message.bytes\":\"100\"}}"));
    assertError(
        http.send("POST", "/v1/topics", "{\"name\":\"bad name!\",\"partitions\":1}"),
        400,
        "invalid_topic_name");
    assertError(
        http.send("POST", "/v1/topics", "{\"name\":\"zero\",\"partitions\":0}"),
        400,
        "invalid_partitions");
    assertError(
        http.send("POST", "/v1/topics/nope/records", "{\"records\":[{\"value\":\"x\"}]}"),
        404,
        "unknown_topic_or_partition");
    assertError(
        http.send("GET", "/v1/topics/strict/partitions/5/records?offset=0", null),
        404,
        "unknown_topic_or_partition");
    assertError(
        http.send(
            "POST",
            "/v1/topics/strict/records",
            "{\"records\":[{\"value\":\"" + "x".repeat(500) + "\"}]}"),
        413,
        "record_too_large");
    assertError(
        http.send("POST", "/v1/topics/strict/records", "{\"records\":[{\"value\":5}]}"),
        400,
        "invalid_field");
    assertError(
        http.send("POST", "/v1/topics/strict/records", "{\"records\":"), 400, "malformed_json");
    assertError(
        http.send("POST", "/v1/groups/g/members/no-such-member/heartbeat", "{}"),
        404,
        "unknown_member_id");
    assertEquals(
        0,
        ok(http.send("GET", "/v1/topics/strict", null))
            .get("partitions")
            .get(0)
            .get("logEndOffset")
            .asLong());
  }
}
