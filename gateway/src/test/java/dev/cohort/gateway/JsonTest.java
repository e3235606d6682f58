package dev.cohort.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.persistence.CohortException;
import org.junit.jupiter.api.Test;

/** Request bodies that break the JSON parser's own limits are 400 malformed_json, never a 500. */
class JsonTest {

  @Test
  void nestingDeeperThanTheParserAllowsIsMalformedJson() {
    int depth = 5_000;
    String body = "{\"a\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
    CohortException e = assertThrows(CohortException.class, () -> Json.parseObject(body));
    assertEquals(GatewayError.MALFORMED_JSON.code(), e.code());
    assertTrue(e.getMessage().contains("nesting depth"), e.getMessage());
  }

  @Test
  void aSyntaxErrorStillNamesItsPosition() {
    CohortException e = assertThrows(CohortException.class, () -> Json.parseObject("{\"a\":,}"));
    assertEquals(GatewayError.MALFORMED_JSON.code(), e.code());
    assertTrue(e.getMessage().contains("(line 1, column 6)"), e.getMessage());
  }
}
