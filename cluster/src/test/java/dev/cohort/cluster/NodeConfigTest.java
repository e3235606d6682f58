package dev.cohort.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeConfigTest {

  @Test
  void defaultsFormAOneNodeClusterOnLoopbackWithTheH2Journal() {
    Config config = NodeConfig.assemble(ConfigFactory.empty());
    assertEquals("127.0.0.1", config.getString("pekko.remote.artery.canonical.hostname"));
    assertEquals(2552, config.getInt("pekko.remote.artery.canonical.port"));
    assertEquals(List.of(), config.getStringList("pekko.cluster.seed-nodes"));
    assertEquals("cluster", config.getString("pekko.actor.provider"));
    assertEquals(
        "keep-majority", config.getString("pekko.cluster.split-brain-resolver.active-strategy"));
    String url = config.getString("pekko-persistence-jdbc.shared-databases.slick.db.url");
    assertTrue(url.startsWith("jdbc:h2:file:") && url.contains("/data/journal/cohort;"), url);
    assertEquals("off", config.getString("pekko.actor.allow-java-serialization"));
  }

  @Test
  void nodeSettingsBecomePekkoSettings() {
    Config config =
        NodeConfig.assemble(
            ConfigFactory.parseString(
                """
                cohort.node { host = "10.1.2.3", remote-port = 2600, data-dir = "/tmp/n1",
                  seeds = ["10.1.2.3:2600", "10.1.2.4:2600"], roles = ["training"] }
                cohort.persistence.journal = postgresql
                cohort.persistence.postgresql.url = "jdbc:postgresql://db:5432/c"
                """));
    assertEquals("10.1.2.3", config.getString("pekko.remote.artery.canonical.hostname"));
    assertEquals(2600, config.getInt("pekko.remote.artery.canonical.port"));
    assertEquals(
        List.of("pekko://cohort@10.1.2.3:2600", "pekko://cohort@10.1.2.4:2600"),
        config.getStringList("pekko.cluster.seed-nodes"));
    assertEquals(List.of("training"), config.getStringList("pekko.cluster.roles"));
    assertEquals(
        "jdbc:postgresql://db:5432/c",
        config.getString("pekko-persistence-jdbc.shared-databases.slick.db.url"));
    assertEquals(
        "slick.jdbc.PostgresProfile$",
        config.getString("pekko-persistence-jdbc.shared-databases.slick.profile"));
  }

  @Test
  void systemPropertiesOverrideThePekkoSettingsCohortChanges() {
    Config before = NodeConfig.assemble(ConfigFactory.empty());
    assertEquals(2, before.getInt("jdbc-journal.parallelism"));
    System.setProperty("jdbc-journal.parallelism", "5");
    ConfigFactory.invalidateCaches();
    try {
      assertEquals(
          5, NodeConfig.assemble(ConfigFactory.empty()).getInt("jdbc-journal.parallelism"));
    } finally {
      System.clearProperty("jdbc-journal.parallelism");
      ConfigFactory.invalidateCaches();
    }
  }

  @Test
  void explicitPekkoKeysStillWin() {
    Config config =
        NodeConfig.assemble(
            ConfigFactory.parseString(
                "cohort.node.remote-port = 2600\npekko.remote.artery.canonical.port = 2700"));
    assertEquals(2700, config.getInt("pekko.remote.artery.canonical.port"));
  }

  @Test
  void malformedSeedIsRefusedNamingTheKey() {
    var error =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                NodeConfig.assemble(
                    ConfigFactory.parseString("cohort.node.seeds = [\"no-port-here\"]")));
    assertTrue(error.getMessage().contains("cohort.node.seeds"), error.getMessage());
  }

  @Test
  void unknownJournalKindIsRefused() {
    var error =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                NodeConfig.assemble(
                    ConfigFactory.parseString("cohort.persistence.journal = mongo")));
    assertTrue(error.getMessage().contains("cohort.persistence.journal"), error.getMessage());
  }
}
