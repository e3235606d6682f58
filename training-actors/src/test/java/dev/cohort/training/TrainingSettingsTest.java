package dev.cohort.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import dev.cohort.training.collective.Backend;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainingSettingsTest {

  static TrainingSettings with(String overrides) {
    return TrainingSettings.create(
        ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load()));
  }

  @Test
  void everyReferenceKeyIsReadAndCommented() throws IOException {
    Config reference;
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("reference.conf")) {
      // This module's own reference.conf is the first one on the test classpath (target/classes).
      reference = ConfigFactory.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    for (Map.Entry<String, ConfigValue> e : reference.getConfig("cohort.training").entrySet()) {
      assertTrue(
          !e.getValue().origin().comments().isEmpty(),
          "cohort.training." + e.getKey() + " has no comment");
    }
    TrainingSettings s = TrainingSettings.create(ConfigFactory.load());
    assertTrue(s.computeThreads() >= 1, "compute-threads 0 resolves to at least one thread");
    assertEquals(500, s.jobIndexSnapshotEvery());
  }

  @Test
  void overridesAreParsedWithUnits() {
    TrainingSettings s =
        with(
            "cohort.training { backend = RING, collective.chunk-bytes = 64 KiB, collective.timeout = 5s, compute-threads = 3 }");
    assertEquals(Backend.RING, s.backend());
    assertEquals(65536, s.chunkBytes());
    assertEquals(5_000, s.collectiveTimeout().toMillis());
    assertEquals(3, s.computeThreads());
  }

  @Test
  void badValuesAreRejectedWithTheKeyName() {
    TrainingException backend =
        assertThrows(TrainingException.class, () -> with("cohort.training.backend = gpu"));
    assertEquals("unknown_backend", backend.code());
    assertTrue(backend.getMessage().contains("'gpu'"), backend.getMessage());
    IllegalArgumentException chunk =
        assertThrows(
            IllegalArgumentException.class,
            () -> with("cohort.training.collective.chunk-bytes = 6"));
    assertTrue(chunk.getMessage().contains("chunk-bytes"), chunk.getMessage());
    IllegalArgumentException slots =
        assertThrows(IllegalArgumentException.class, () -> with("cohort.training.cpu-slots = 0"));
    assertTrue(slots.getMessage().contains("cpu-slots"), slots.getMessage());
    IllegalArgumentException snapshots =
        assertThrows(
            IllegalArgumentException.class,
            () -> with("cohort.training.job-index.snapshot-every = 0"));
    assertTrue(snapshots.getMessage().contains("job-index.snapshot-every"), snapshots.getMessage());
  }
}
