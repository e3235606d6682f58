package dev.cohort.log.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** stream-log's reference.conf: every key commented, the entities' literals read from it. */
class LogSettingsTest {

  @Test
  void everyKeyIsCommented() {
    Config reference = ConfigFactory.parseResources(getClass().getClassLoader(), "reference.conf");
    List<String> uncommented = new ArrayList<>();
    for (Map.Entry<String, ConfigValue> e : reference.getConfig("cohort.log").entrySet()) {
      if (e.getValue().origin().comments().isEmpty()) {
        uncommented.add(e.getKey());
      }
    }
    assertEquals(List.of(), uncommented, "keys without a comment");
  }

  @Test
  void supervisionAndSnapshotSettingsComeFromConfiguration() {
    LogSettings defaults = LogSettings.create(ConfigFactory.load());
    assertEquals(Duration.ofMillis(200), defaults.restartBackoffMin());
    assertEquals(0.2, defaults.restartBackoffRandomFactor());
    assertEquals(100, defaults.registrySnapshotEvery());
    assertEquals(2, defaults.registryKeepSnapshots());
    assertEquals(200, defaults.groupSnapshotEvery());
    assertEquals(1, defaults.groupKeepSnapshots());
    LogSettings tuned =
        LogSettings.create(
            ConfigFactory.parseString(
                    """
                    cohort.log.partition.restart-backoff-random-factor = 0.5
                    cohort.log.topic-registry.snapshot-every = 7
                    cohort.log.topic-registry.keep-snapshots = 3
                    cohort.log.group.snapshot-every = 9
                    cohort.log.group.keep-snapshots = 4
                    """)
                .withFallback(ConfigFactory.load()));
    assertEquals(0.5, tuned.restartBackoffRandomFactor());
    assertEquals(7, tuned.registrySnapshotEvery());
    assertEquals(3, tuned.registryKeepSnapshots());
    assertEquals(9, tuned.groupSnapshotEvery());
    assertEquals(4, tuned.groupKeepSnapshots());
  }
}
