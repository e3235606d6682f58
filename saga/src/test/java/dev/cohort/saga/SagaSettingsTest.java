package dev.cohort.saga;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** reference.conf: every key commented, read through SagaSettings, bad values refused. */
class SagaSettingsTest {

  @Test
  void everyKeyIsCommentedAndRead() {
    Config reference = ConfigFactory.parseResources(getClass().getClassLoader(), "reference.conf");
    List<String> uncommented = new ArrayList<>();
    for (Map.Entry<String, ConfigValue> e : reference.getConfig("cohort.saga").entrySet()) {
      if (e.getValue().origin().comments().isEmpty()) {
        uncommented.add(e.getKey());
      }
    }
    assertEquals(List.of(), uncommented, "keys without a comment");
    SagaSettings settings = SagaSettings.create(ConfigFactory.load());
    assertEquals(Duration.ofSeconds(10), settings.defaultStepTimeout());
    assertEquals(64 * 1024, settings.maxContextBytes());
    assertEquals("_cohort.saga-events", settings.eventsTopic());
    assertEquals(3, settings.defaultRetry().maxAttempts());
    assertEquals(Duration.ofMillis(200), settings.restartMinBackoff());
    assertEquals(Duration.ofSeconds(10), settings.restartMaxBackoff());
    assertEquals(500, settings.indexSnapshotEvery());
    assertEquals(100, settings.definitionsSnapshotEvery());
  }

  @Test
  void badValuesAreRefusedWithTheKeyName() {
    Config bad =
        ConfigFactory.parseString("cohort.saga.index-buckets = 0")
            .withFallback(ConfigFactory.load());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SagaSettings.create(bad));
    assertTrue(e.getMessage().contains("cohort.saga.index-buckets"), e.getMessage());
    Config slower =
        ConfigFactory.parseString("cohort.saga.entity.restart-max-backoff = 100ms")
            .withFallback(ConfigFactory.load());
    IllegalArgumentException backoff =
        assertThrows(IllegalArgumentException.class, () -> SagaSettings.create(slower));
    assertTrue(
        backoff.getMessage().contains("cohort.saga.entity.restart-max-backoff"),
        backoff.getMessage());
  }
}
