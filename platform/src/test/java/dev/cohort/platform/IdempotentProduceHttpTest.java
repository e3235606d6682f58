package dev.cohort.platform;

import static dev.cohort.platform.HttpTestClient.assertError;
import static dev.cohort.platform.HttpTestClient.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Kafka's idempotent producer over HTTP: {@code POST /v1/producers} hands out a producer id and
 * epoch, and a produce request carrying them with a {@code baseSequence} is one batch to one
 * partition that a retry can repeat without writing it twice.
 */
@Tag("integration")
class IdempotentProduceHttpTest {
  private static CohortNode node;
  private static HttpTestClient http;

  @BeforeAll
  static void start() throws Exception {
    node = Cohort.start(HttpTestClient.embeddedNode("cohort-idempotent-http").build());
    http = new HttpTestClient(node);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static JsonNode initProducer() throws Exception {
    return ok(http.send("POST", "/v1/producers", null));
  }

  private static String batch(
      JsonNode producer, int partition, int baseSequence, String... values) {
    return batch(
        producer.get("producerId").asLong(),
        producer.get("producerEpoch").asInt(),
        partition,
        baseSequence,
        values);
  }

  private static String batch(
      long id, int epoch, int partition, int baseSequence, String... values) {
    StringBuilder body =
        new StringBuilder(
            "{\"producerId\":"
                + id
                + ",\"producerEpoch\":"
                + epoch
                + ",\"partition\":"
                + partition
                + ",\"baseSequence\":"
                + baseSequence
                + ",\"records\":[");
    for (int i = 0; i < values.length; i++) {
      body.append(i == 0 ? "" : ",").append("{\"value\":\"").append(values[i]).append("\"}");
    }
    return body.append("]}").toString();
  }

  private static List<Long> offsets(JsonNode produced) {
    List<Long> offsets = new ArrayList<>();
    produced.get("offsets").forEach(o -> offsets.add(o.get("offset").asLong()));
    return offsets;
  }

  private static List<String> values(String topic, int partition) throws Exception {
    JsonNode fetched =
        ok(
            http.send(
                "GET",
                "/v1/topics/"
                    + topic
                    + "/partitions/"
                    + partition
                    + "/records?offset=0&maxRecords=100&maxWaitMs=0",
                null));
    List<String> values = new ArrayList<>();
    fetched.get("records").forEach(r -> values.add(r.get("value").asText()));
    return values;
  }

  @Test
  void initGivesANewProducerAtEpochZeroOrBumpsTheEpoch() throws Exception {
    JsonNode first = initProducer();
    JsonNode second = initProducer();
    assertEquals(0, first.get("producerEpoch").asInt());
    assertTrue(first.get("producerId").asLong() >= 0, first.toString());
    assertNotEquals(first.get("producerId").asLong(), second.get("producerId").asLong());

    JsonNode bumped =
        ok(
            http.send(
                "POST",
                "/v1/producers",
                "{\"producerId\":" + first.get("producerId").asLong() + ",\"producerEpoch\":0}"));
    assertEquals(first.get("producerId").asLong(), bumped.get("producerId").asLong());
    assertEquals(1, bumped.get("producerEpoch").asInt());

    assertError(http.send("POST", "/v1/producers", "{\"producerId\":5}"), 400, "invalid_field");
    assertError(
        http.send("POST", "/v1/producers", "{\"producerId\":-1,\"producerEpoch\":0}"),
        400,
        "invalid_field");
    assertError(
        http.send("POST", "/v1/producers", "{\"producerId\":5,\"producerEpoch\":\"0\"}"),
        400,
        "invalid_field");
    assertError(http.send("GET", "/v1/producers", null), 405, "method_not_allowed");
  }

  @Test
  void aRetriedBatchIsAnsweredWithItsFirstOffsetsAndStoredOnce() throws Exception {
    ok(http.send("POST", "/v1/topics", "{\"name\":\"payments\",\"partitions\":2}"));
    JsonNode producer = initProducer();
    JsonNode first =
        ok(
            http.send(
                "POST", "/v1/topics/payments/records", batch(producer, 1, 0, "p0", "p1", "p2")));
    assertEquals(List.of(0L, 1L, 2L), offsets(first));
    assertEquals(1, first.get("offsets").get(0).get("partition").asInt());

    // The answer was lost, say: the client sends the same batch again.
    JsonNode retried =
        ok(
            http.send(
                "POST", "/v1/topics/payments/records", batch(producer, 1, 0, "p0", "p1", "p2")));
    assertEquals(offsets(first), offsets(retried));

    JsonNode next =
        ok(http.send("POST", "/v1/topics/payments/records", batch(producer, 1, 3, "p3")));
    assertEquals(List.of(3L), offsets(next));
    assertEquals(
        List.of(3L),
        offsets(ok(http.send("POST", "/v1/topics/payments/records", batch(producer, 1, 3, "p3")))));
    assertEquals(
        List.of(0L, 1L, 2L),
        offsets(
            ok(
                http.send(
                    "POST",
                    "/v1/topics/payments/records",
                    batch(producer, 1, 0, "p0", "p1", "p2")))),
        "an older batch within the last five is still recognised");

    // Sequences count per partition: partition 0 starts at 0 for the same producer.
    assertEquals(
        List.of(0L),
        offsets(ok(http.send("POST", "/v1/topics/payments/records", batch(producer, 0, 0, "q0")))));
    assertEquals(List.of("p0", "p1", "p2", "p3"), values("payments", 1));
    assertEquals(List.of("q0"), values("payments", 0));
  }

  @Test
  void anOutOfOrderSequenceIsAConflictAndStoresNothing() throws Exception {
    ok(http.send("POST", "/v1/topics", "{\"name\":\"gaps\",\"partitions\":1}"));
    JsonNode producer = initProducer();
    ok(http.send("POST", "/v1/topics/gaps/records", batch(producer, 0, 0, "a", "b")));
    assertError(
        http.send("POST", "/v1/topics/gaps/records", batch(producer, 0, 5, "skipped")),
        409,
        "out_of_order_sequence");
    assertError(
        http.send("POST", "/v1/topics/gaps/records", batch(producer, 0, 1, "overlaps")),
        409,
        "out_of_order_sequence");
    // A first batch above sequence 0 from an id the partition has never seen.
    assertError(
        http.send("POST", "/v1/topics/gaps/records", batch(initProducer(), 0, 4, "unknown")),
        409,
        "unknown_producer_id");
    assertEquals(List.of("a", "b"), values("gaps", 0));
    assertEquals(
        List.of(2L),
        offsets(ok(http.send("POST", "/v1/topics/gaps/records", batch(producer, 0, 2, "c")))));
  }

  @Test
  void anOlderEpochIsFenced() throws Exception {
    ok(http.send("POST", "/v1/topics", "{\"name\":\"fenced\",\"partitions\":1}"));
    JsonNode zombie = initProducer();
    ok(http.send("POST", "/v1/topics/fenced/records", batch(zombie, 0, 0, "old-0")));
    JsonNode bumped =
        ok(
            http.send(
                "POST",
                "/v1/producers",
                "{\"producerId\":"
                    + zombie.get("producerId").asLong()
                    + ",\"producerEpoch\":"
                    + zombie.get("producerEpoch").asInt()
                    + "}"));
    assertEquals(
        List.of(1L),
        offsets(ok(http.send("POST", "/v1/topics/fenced/records", batch(bumped, 0, 0, "new-0")))));
    var fenced = http.send("POST", "/v1/topics/fenced/records", batch(zombie, 0, 1, "old-1"));
    assertError(fenced, 409, "invalid_producer_epoch");
    assertTrue(
        HttpTestClient.JSON
            .readTree(fenced.body())
            .path("error")
            .path("message")
            .asText()
            .contains("epoch"),
        fenced.body());
    assertEquals(List.of("old-0", "new-0"), values("fenced", 0));
  }

  @Test
  void badIdempotentInputIsA4xxAndStoresNothing() throws Exception {
    ok(http.send("POST", "/v1/topics", "{\"name\":\"picky\",\"partitions\":2}"));
    JsonNode producer = initProducer();
    long id = producer.get("producerId").asLong();
    String path = "/v1/topics/picky/records";
    String records = "\"records\":[{\"value\":\"x\"}]";
    assertError(
        http.send(
            "POST",
            path,
            "{\"producerId\":" + id + ",\"producerEpoch\":0,\"partition\":0," + records + "}"),
        400,
        "invalid_field");
    assertError(
        http.send(
            "POST",
            path,
            "{\"producerId\":" + id + ",\"baseSequence\":0,\"partition\":0," + records + "}"),
        400,
        "invalid_field");
    assertError(
        http.send(
            "POST",
            path,
            "{\"producerId\":" + id + ",\"producerEpoch\":0,\"baseSequence\":0," + records + "}"),
        400,
        "invalid_field");
    assertError(
        http.send(
            "POST",
            path,
            "{\"acks\":\"0\",\"producerId\":"
                + id
                + ",\"producerEpoch\":0,\"baseSequence\":0,\"partition\":0,"
                + records
                + "}"),
        400,
        "invalid_field");
    assertError(http.send("POST", path, batch(id, 0, 0, -1, "x")), 400, "invalid_field");
    assertError(http.send("POST", path, batch(id, -1, 0, 0, "x")), 400, "invalid_field");
    assertError(http.send("POST", path, batch(-7, 0, 0, 0, "x")), 400, "invalid_field");
    assertError(
        http.send("POST", path, batch(id, 0, 0, Integer.MAX_VALUE, "x", "y")),
        400,
        "invalid_request");
    assertError(
        http.send(
            "POST",
            path,
            "{\"producerId\":"
                + id
                + ",\"producerEpoch\":0,\"baseSequence\":0,\"partition\":0,\"records\":[{\"value\":\"x\",\"partition\":1}]}"),
        400,
        "invalid_field");
    assertError(
        http.send("POST", path, batch(id, 0, 9, 0, "x")), 404, "unknown_topic_or_partition");
    JsonNode described = ok(http.send("GET", "/v1/topics/picky", null));
    for (JsonNode p : described.get("partitions")) {
      assertEquals(0, p.get("logEndOffset").asLong(), described.toString());
    }
    // Nothing of the refused requests reached a partition: the producer still starts at 0.
    assertEquals(List.of(0L), offsets(ok(http.send("POST", path, batch(producer, 0, 0, "first")))));
  }
}
