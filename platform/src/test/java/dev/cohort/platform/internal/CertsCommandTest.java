package dev.cohort.platform.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.cluster.tls.Pem;
import dev.cohort.platform.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CertsCommandTest {
  @TempDir Path dir;

  private int run(StringWriter err, String... args) {
    return new CommandLine(new Main()).setErr(new PrintWriter(err)).execute(args);
  }

  @Test
  void certsDevWritesACaNodesAndAClientAndRefusesToOverwriteTheCa() throws Exception {
    Path certs = dir.resolve("certs");
    StringWriter err = new StringWriter();
    assertEquals(
        0,
        run(
            err,
            "certs",
            "dev",
            "--dir",
            certs.toString(),
            "--nodes",
            "2",
            "--host",
            "db.example",
            "--client",
            "alice"),
        err.toString());
    for (String file :
        new String[] {"ca.crt", "ca.key", "node-1.crt", "node-2.key", "client.crt", "client.key"}) {
      assertTrue(Files.isRegularFile(certs.resolve(file)), file);
    }
    assertTrue(Files.notExists(certs.resolve("node-3.crt")));
    X509Certificate node = Pem.certificates(certs.resolve("node-2.crt")).getFirst();
    assertTrue(
        node.getSubjectAlternativeNames().stream().anyMatch(n -> n.get(1).equals("db.example")));
    assertTrue(
        Pem.certificates(certs.resolve("client.crt"))
            .getFirst()
            .getSubjectX500Principal()
            .getName()
            .startsWith("CN=alice,"));

    String caKey = Files.readString(certs.resolve("ca.key"));
    StringWriter second = new StringWriter();
    assertEquals(1, run(second, "certs", "dev", "--dir", certs.toString()));
    assertTrue(second.toString().contains("never overwritten"), second.toString());
    assertEquals(caKey, Files.readString(certs.resolve("ca.key")));
  }
}
