package dev.cohort.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.persistence.CohortException;
import org.junit.jupiter.api.Test;

class PathTemplateTest {

  @Test
  void literalsMatchExactlyWithAnOptionalTrailingSlash() {
    PathTemplate template = PathTemplate.parse("/v1/keyspaces");
    assertTrue(template.match("/v1/keyspaces").isPresent());
    assertTrue(template.match("/v1/keyspaces/").isPresent());
    assertTrue(template.match("/v1/keyspace").isEmpty());
    assertTrue(template.match("/v1/keyspaces/x").isEmpty());
    assertTrue(template.match("/v1/keyspaces//").isEmpty());
    assertTrue(template.match("/v1").isEmpty());
  }

  @Test
  void segmentVariablesArePercentDecodedAndNeverEmpty() {
    PathTemplate template = PathTemplate.parse("/v1/topics/{topic}/records");
    assertEquals(
        "a b/c", template.match("/v1/topics/a%20b%2Fc/records").orElseThrow().get("topic"));
    assertTrue(template.match("/v1/topics//records").isEmpty());
    assertTrue(template.match("/v1/topics/t/other").isEmpty());
  }

  @Test
  void restVariablesTakeSlashesAndNeedOneCharacter() {
    PathTemplate template = PathTemplate.parse("/v1/kv/{ks}/keys/{key*}");
    PathTemplate.PathParams params = template.match("/v1/kv/orders/keys/o/1001/").orElseThrow();
    assertEquals("orders", params.get("ks"));
    assertEquals("o/1001/", params.get("key"));
    assertEquals(
        "ключ", template.match("/v1/kv/o/keys/%D0%BA%D0%BB%D1%8E%D1%87").orElseThrow().get("key"));
    assertTrue(template.match("/v1/kv/orders/keys/").isEmpty());
    assertTrue(template.match("/v1/kv/orders/keys").isEmpty());
  }

  @Test
  void numericVariablesMatchOnlyDigitsInRange() {
    PathTemplate template = PathTemplate.parse("/v1/leases/{id:long}/keepalive");
    assertEquals(42L, template.match("/v1/leases/42/keepalive").orElseThrow().getLong("id"));
    assertTrue(template.match("/v1/leases/x42/keepalive").isEmpty());
    assertTrue(template.match("/v1/leases/-1/keepalive").isEmpty());
    assertTrue(template.match("/v1/leases/99999999999999999999/keepalive").isEmpty());
    PathTemplate partition = PathTemplate.parse("/p/{n:int}");
    assertEquals(7, partition.match("/p/7").orElseThrow().getInt("n"));
    assertTrue(partition.match("/p/3000000000").isEmpty());
  }

  @Test
  void aMalformedEscapeIsABadRequestNamingThePath() {
    PathTemplate template = PathTemplate.parse("/v1/kv/{ks}/keys/{key*}");
    CohortException e =
        assertThrows(CohortException.class, () -> template.match("/v1/kv/o/keys/a%zz"));
    assertEquals("invalid_key", e.code());
  }

  @Test
  void malformedTemplatesFailAtDeclaration() {
    assertThrows(IllegalArgumentException.class, () -> PathTemplate.parse("v1/x"));
    assertThrows(IllegalArgumentException.class, () -> PathTemplate.parse("/v1/x/"));
    assertThrows(IllegalArgumentException.class, () -> PathTemplate.parse("/v1//x"));
    assertThrows(IllegalArgumentException.class, () -> PathTemplate.parse("/v1/{rest*}/x"));
    assertThrows(IllegalArgumentException.class, () -> PathTemplate.parse("/v1/{id:uuid}"));
    assertThrows(IllegalArgumentException.class, () -> PathTemplate.parse("/v1/{open"));
  }

  @Test
  void anEndpointDeclaredTwiceIsRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            Endpoints.route(
                java.util.List.of(
                    Endpoint.get("/a/{x}", Guard.open("test"), p -> null),
                    Endpoint.get("/a/{x}", Guard.open("test"), p -> null))));
  }
}
