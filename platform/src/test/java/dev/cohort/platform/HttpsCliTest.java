package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import dev.cohort.cluster.NodeConfig;
import dev.cohort.cluster.tls.DevCertificates;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The CLI against an embedded node whose gateway serves HTTPS with client certificates wanted: it
 * trusts the gateway through {@code --cacert}, presents {@code --cert}/{@code --cert-key}, and
 * fails without the CA. Also checks that the shipped {@code conf/cluster-node-tls.conf} assembles.
 */
@Tag("integration")
class HttpsCliTest {
  private static Path certs;
  private static CohortNode node;
  private static String endpoint;

  @BeforeAll
  static void start() throws Exception {
    certs = Files.createTempDirectory("cohort-https-cli").resolve("certs");
    DevCertificates.writeDevSet(certs, 1, List.of(), "alice", Duration.ofDays(1));
    node =
        Cohort.start(
            HttpTestClient.embeddedNode("cohort-https-cli")
                .override("cohort.gateway.tls.enabled", true)
                .override("cohort.gateway.tls.cert-file", certs.resolve("node-1.crt").toString())
                .override("cohort.gateway.tls.key-file", certs.resolve("node-1.key").toString())
                .override("cohort.gateway.tls.client-auth", "want")
                .override("cohort.gateway.tls.client-ca-file", certs.resolve("ca.crt").toString())
                .build());
    endpoint = "https://localhost:" + node.httpAddress().getPort();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private record Run(int exit, String out, String err) {}

  private static Run cli(String... args) {
    PrintStream stdout = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringWriter err = new StringWriter();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      int exit = new CommandLine(new Main()).setErr(new PrintWriter(err)).execute(args);
      return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString());
    } finally {
      System.setOut(stdout);
    }
  }

  /** {@code kv get tls/k} against the HTTPS gateway with {@code tls} options. */
  private static Run kvGet(String... tls) {
    String[] args = new String[4 + tls.length];
    System.arraycopy(new String[] {"kv", "get", "tls/k", "--endpoint=" + endpoint}, 0, args, 0, 4);
    System.arraycopy(tls, 0, args, 4, tls.length);
    return cli(args);
  }

  @Test
  void theCliTalksToAnHttpsGatewayWithTheCaAndAClientCertificate() {
    String ca = "--cacert=" + certs.resolve("ca.crt");
    String cert = "--cert=" + certs.resolve("client.crt");
    Run put = cli("kv", "put", "tls/k", "over-https", "--endpoint", endpoint, ca);
    assertEquals(0, put.exit(), put.err());
    Run get = kvGet(ca, cert, "--cert-key=" + certs.resolve("client.key"));
    assertEquals(0, get.exit(), get.err());
    assertTrue(get.out().contains("over-https"), get.out());

    Run untrusted = kvGet();
    assertEquals(1, untrusted.exit(), untrusted.out());
    Run halfPair = kvGet(ca, cert);
    assertEquals(1, halfPair.exit());
    assertTrue(halfPair.err().contains("--cert-key"), halfPair.err());
  }

  @Test
  void theShippedTlsConfigurationAssembles() {
    Path conf = Path.of("").toAbsolutePath().getParent().resolve("conf");
    Config config =
        NodeConfig.assemble(
            CohortConfig.builder()
                .configFile(conf.resolve("cluster-node-tls.conf"))
                .override("cohort.node.tls.cert-file", certs.resolve("node-1.crt").toString())
                .override("cohort.node.tls.key-file", certs.resolve("node-1.key").toString())
                .override("cohort.node.tls.ca-file", certs.resolve("ca.crt").toString())
                .build()
                .userConfig());
    assertEquals("tls-tcp", config.getString("pekko.remote.artery.transport"));
    assertEquals(
        certs.resolve("node-1.crt").toString(), config.getString("cohort.gateway.tls.cert-file"));
    assertTrue(config.getBoolean("cohort.gateway.tls.enabled"));
    assertEquals("postgresql", config.getString("cohort.persistence.journal"));
  }
}
