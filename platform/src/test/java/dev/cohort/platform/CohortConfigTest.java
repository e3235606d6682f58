package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import dev.cohort.cluster.NodeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CohortConfigTest {

  @Test
  void defaultsMatchTheReadme() {
    Config config = NodeConfig.assemble(CohortConfig.builder().build().userConfig());
    assertEquals("data", config.getString("cohort.node.data-dir"));
    assertEquals("127.0.0.1", config.getString("cohort.gateway.host"));
    assertEquals(8080, config.getInt("cohort.gateway.port"));
    assertEquals(2552, config.getInt("pekko.remote.artery.canonical.port"));
    assertEquals("file", config.getString("cohort.persistence.journal"));
    assertEquals("cohort-file-journal", config.getString("pekko.persistence.journal.plugin"));
    assertEquals(
        "jdbc-snapshot-store", config.getString("pekko.persistence.snapshot-store.plugin"));
  }

  @Test
  void builderWinsOverFileAndOverridesWinOverBuilder() throws IOException {
    Path file = Files.createTempFile("cohort", ".conf");
    Files.writeString(
        file,
        "cohort.gateway.port = 9000\ncohort.node.remote-port = 2700\ncohort.node.roles = [a]\n");
    Config config =
        NodeConfig.assemble(
            CohortConfig.builder()
                .configFile(file)
                .httpPort(9100)
                .host("127.0.0.2")
                .seed("127.0.0.2:2700")
                .override("cohort.node.remote-port", 2800)
                // a seed other than this node: a cluster, which needs the shared journal
                .override("cohort.persistence.journal", "postgresql")
                .build()
                .userConfig());
    assertEquals(9100, config.getInt("cohort.gateway.port"));
    assertEquals(2800, config.getInt("pekko.remote.artery.canonical.port"));
    assertEquals("127.0.0.2", config.getString("cohort.gateway.host"));
    assertEquals(List.of("a"), config.getStringList("pekko.cluster.roles"));
    assertEquals(
        List.of("pekko://cohort@127.0.0.2:2700"), config.getStringList("pekko.cluster.seed-nodes"));
  }

  @Test
  void shippedConfigurationFilesAssemble() {
    Path conf = Path.of("").toAbsolutePath().getParent().resolve("conf");
    Config single =
        NodeConfig.assemble(
            CohortConfig.builder()
                .configFile(conf.resolve("single-node.conf"))
                .build()
                .userConfig());
    assertEquals("file", single.getString("cohort.persistence.journal"));
    assertEquals(List.of(), single.getStringList("pekko.cluster.seed-nodes"));
    Config cluster =
        NodeConfig.assemble(
            CohortConfig.builder()
                .configFile(conf.resolve("cluster-node.conf"))
                .build()
                .userConfig());
    assertEquals("postgresql", cluster.getString("cohort.persistence.journal"));
    assertEquals("jdbc-journal", cluster.getString("pekko.persistence.journal.plugin"));
    assertEquals(
        "slick.jdbc.PostgresProfile$",
        cluster.getString("pekko-persistence-jdbc.shared-databases.slick.profile"));
    assertEquals(1, cluster.getStringList("pekko.cluster.seed-nodes").size());
  }

  @Test
  void invalidValuesAreRefusedWithAClearMessage() {
    var port =
        assertThrows(IllegalArgumentException.class, () -> CohortConfig.builder().httpPort(70000));
    assertEquals("http port must be 0..65535, got 70000", port.getMessage());
    var file =
        assertThrows(
            IllegalArgumentException.class,
            () -> CohortConfig.builder().configFile(Path.of("/nonexistent/cohort.conf")));
    assertEquals("configuration file /nonexistent/cohort.conf does not exist", file.getMessage());
  }
}
