package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.cluster.NodeConfig;
import dev.cohort.persistence.PersistenceSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL password, which lives in configuration, never shows: not in the settings' text,
 * not in the error and logs of a node whose database refuses it, and not in {@code /v1/cluster},
 * {@code /metrics}, error answers or the logs of a running node that has it configured.
 */
@Tag("integration")
class SecretsTest {
  private static final String PG_PASSWORD = "pg-secret-" + UUID.randomUUID();

  @Test
  void settingsTextHidesThePassword() {
    PersistenceSettings settings =
        PersistenceSettings.create(
            NodeConfig.assemble(
                CohortConfig.builder()
                    .override("cohort.persistence.journal", "postgresql")
                    .override("cohort.persistence.postgresql.password", PG_PASSWORD)
                    .build()
                    .userConfig()));
    assertEquals(PG_PASSWORD, settings.password());
    assertFalse(settings.toString().contains(PG_PASSWORD), settings.toString());
  }

  @Test
  void aRefusedDatabasePasswordIsNotInTheErrorOrTheLogs() throws Exception {
    try (LogCapture logs = new LogCapture()) {
      RuntimeException refused =
          assertThrows(
              RuntimeException.class,
              () ->
                  Cohort.start(
                      HttpTestClient.embeddedNode("cohort-secrets-pg")
                          .override("cohort.persistence.journal", "postgresql")
                          .override(
                              "cohort.persistence.postgresql.url",
                              System.getenv()
                                  .getOrDefault(
                                      "COHORT_PG_URL", "jdbc:postgresql://127.0.0.1:5432/cohort"))
                          .override("cohort.persistence.postgresql.password", PG_PASSWORD)
                          .build()));
      List<String> texts = new ArrayList<>(logs.lines());
      for (Throwable t = refused; t != null; t = t.getCause()) {
        texts.add(String.valueOf(t.getMessage()));
      }
      assertTrue(texts.size() > 1, texts.toString());
      assertEquals(List.of(), texts.stream().filter(t -> t.contains(PG_PASSWORD)).toList());
    }
  }

  @Test
  void aRunningNodeShowsItNowhere() throws Exception {
    try (LogCapture logs = new LogCapture();
        CohortNode node =
            Cohort.start(
                HttpTestClient.embeddedNode("cohort-secrets-node")
                    .override("cohort.persistence.postgresql.password", PG_PASSWORD)
                    .build())) {
      HttpTestClient http = new HttpTestClient(node);
      List<String> texts = new ArrayList<>();
      texts.add(http.send("GET", "/v1/cluster", null).body());
      texts.add(http.send("GET", "/metrics", null).body());
      texts.add(http.send("GET", "/health/ready", null).body());
      texts.add(http.send("PUT", "/v1/keyspaces/Bad_Name", "{}").body());
      texts.add(http.send("POST", "/v1/topics", "{\"name\":1}").body());
      texts.add(http.send("GET", "/v1/nowhere", null).body());
      texts.addAll(logs.lines());
      assertTrue(texts.get(0).contains("members"), texts.get(0));
      assertEquals(List.of(), texts.stream().filter(t -> t.contains(PG_PASSWORD)).toList());
    }
  }
}
