package dev.cohort.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The entities' restart backoff and snapshot retention come from reference.conf and are checked.
 */
class KvSettingsTest {

  private static KvSettings with(String overrides) {
    return KvSettings.create(
        ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load()));
  }

  @Test
  void referenceConfDocumentsTheDefaults() {
    KvSettings s = with("");
    assertEquals(Duration.ofMillis(200), s.restartBackoffMin());
    assertEquals(Duration.ofSeconds(5), s.restartBackoffMax());
    assertEquals(0.2, s.restartBackoffRandomFactor());
    assertEquals(2, s.snapshotKeep());
  }

  @Test
  void badBackoffOrRetentionIsRefusedWithTheKeyNamed() {
    String[][] cases = {
      {"cohort.kv.restart-backoff-min = 0s", "cohort.kv.restart-backoff-min"},
      {"cohort.kv.restart-backoff-max = 100ms", "cohort.kv.restart-backoff-max"},
      {"cohort.kv.restart-backoff-random-factor = 1.5", "cohort.kv.restart-backoff-random-factor"},
      {"cohort.kv.snapshot-keep = 0", "cohort.kv.snapshot-keep"},
    };
    for (String[] c : cases) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> with(c[0]));
      assertTrue(e.getMessage().startsWith(c[1]), c[0] + ": " + e.getMessage());
    }
  }
}
