package dev.cohort.cluster.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.cluster.NodeConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Node-to-node TLS settings are checked when the node's configuration is assembled. */
class NodeTlsSettingsTest {
  @TempDir Path dir;

  private static String tls(String body) {
    return "cohort.node.tls { enabled = on, " + body + " }";
  }

  @Test
  void offByDefaultRemotingStaysOnPlainTcp() {
    assertEquals(
        "tcp",
        NodeConfig.assemble(ConfigFactory.empty()).getString("pekko.remote.artery.transport"));
  }

  @Test
  void aMissingFileSettingIsRefusedNamingTheKey() {
    var error =
        assertThrows(
            IllegalArgumentException.class,
            () -> NodeConfig.assemble(ConfigFactory.parseString(tls("ca-file = ca.crt"))));
    assertTrue(error.getMessage().contains("cohort.node.tls.cert-file"), error.getMessage());
  }

  @Test
  void aKeyOfAnotherCertificateStopsTheNodeAtStart() {
    Duration year = Duration.ofDays(365);
    DevCertificates.Issued ca = DevCertificates.authority("ca", year);
    ca.write(dir.resolve("ca.crt"), dir.resolve("ca.key"));
    DevCertificates.node(ca, "a", List.of("localhost"), year)
        .write(dir.resolve("a.crt"), dir.resolve("a.key"));
    var error =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                NodeConfig.assemble(
                    ConfigFactory.parseString(
                        tls(
                            "cert-file = \"%s\", key-file = \"%s\", ca-file = \"%s\""
                                .formatted(
                                    dir.resolve("a.crt"),
                                    dir.resolve("ca.key"),
                                    dir.resolve("ca.crt"))))));
    assertTrue(
        error.getMessage().startsWith("cohort.node.tls: ")
            && error.getMessage().contains("is not the private key"),
        error.getMessage());
  }
}
