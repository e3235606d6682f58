package dev.cohort.platform;

import static dev.cohort.platform.HttpTestClient.assertError;
import static dev.cohort.platform.HttpTestClient.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The AP-only HTTP surface of an embedded one-node cluster: the replication factor at creation,
 * endpoints, repair, and the errors for bad input on each (nothing created or changed).
 */
@Tag("integration")
class ApHttpTest {
  private static CohortNode node;
  private static HttpTestClient http;

  @BeforeAll
  static void start() throws Exception {
    node = Cohort.start(HttpTestClient.embeddedNode("cohort-ap-http").build());
    http = new HttpTestClient(node);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void replicationFactorIsRecordedAtCreationAndFixed() throws Exception {
    var created = http.send("PUT", "/v1/keyspaces/rf-default", "{\"mode\":\"ap\"}");
    assertEquals(201, created.statusCode(), created.body());
    assertEquals(1, ok(created).get("replicationFactor").asInt(), "min(3, cluster size 1)");
    JsonNode two =
        ok(http.send("PUT", "/v1/keyspaces/rf-two", "{\"mode\":\"ap\",\"replicationFactor\":2}"));
    assertEquals(2, two.get("replicationFactor").asInt());
    assertEquals(
        2, ok(http.send("GET", "/v1/keyspaces/rf-two", null)).get("replicationFactor").asInt());
    var again = http.send("PUT", "/v1/keyspaces/rf-two", "{\"mode\":\"ap\"}");
    assertEquals(200, again.statusCode());
    assertEquals(2, ok(again).get("replicationFactor").asInt());
    assertError(
        http.send("PUT", "/v1/keyspaces/rf-two", "{\"mode\":\"ap\",\"replicationFactor\":3}"),
        409,
        "replication_factor_conflict");
  }

  @Test
  void badReplicationFactorsCreateNothing() throws Exception {
    for (String bad : new String[] {"0", "16", "-1", "\"3\"", "2.5"}) {
      assertError(
          http.send(
              "PUT", "/v1/keyspaces/rf-bad", "{\"mode\":\"ap\",\"replicationFactor\":" + bad + "}"),
          400,
          "invalid_field");
    }
    assertError(
        http.send("PUT", "/v1/keyspaces/rf-bad", "{\"mode\":\"cp\",\"replicationFactor\":3}"),
        400,
        "invalid_field");
    assertError(http.send("GET", "/v1/keyspaces/rf-bad", null), 404, "keyspace_not_found");
  }

  @Test
  void endpointsNameTheKeysReplicasAndRepairRuns() throws Exception {
    ok(http.send("PUT", "/v1/keyspaces/placed", "{\"mode\":\"ap\"}"));
    ok(http.send("PUT", "/v1/kv/placed/keys/user%2F1?consistency=all", "{\"value\":\"v\"}"));
    JsonNode where = ok(http.send("GET", "/v1/kv/placed/endpoints?key=user%2F1", null));
    assertEquals("user/1", where.get("key").asText());
    assertEquals(1, where.get("endpoints").size());
    assertTrue(where.get("endpoints").get(0).get("alive").asBoolean());
    Long.parseUnsignedLong(where.get("token").asText());
    JsonNode repaired = ok(http.send("POST", "/v1/kv/placed/repair", null));
    assertEquals(0, repaired.get("rangesDiffering").asInt(), repaired.toString());

    assertError(http.send("GET", "/v1/kv/placed/endpoints", null), 400, "invalid_key");
    assertError(http.send("GET", "/v1/kv/placed/endpoints?key=", null), 400, "invalid_key");
    assertError(
        http.send("GET", "/v1/kv/default/endpoints?key=a", null), 400, "not_supported_in_cp_mode");
    assertError(http.send("POST", "/v1/kv/default/repair", null), 400, "not_supported_in_cp_mode");
    assertError(
        http.send("GET", "/v1/kv/missing-ap/endpoints?key=a", null), 404, "keyspace_not_found");
  }
}
