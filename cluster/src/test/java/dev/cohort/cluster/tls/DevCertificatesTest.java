package dev.cohort.cluster.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevCertificatesTest {
  @TempDir Path dir;

  @Test
  void aDevSetIsTrustedByItsOwnCaOnlyAndNamesItsHosts() throws Exception {
    List<Path> files =
        DevCertificates.writeDevSet(
            dir, 2, List.of("node.example", "10.0.0.5"), "alice", Duration.ofDays(30));
    assertEquals(8, files.size(), files.toString());
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("node-1.key"))));

    X509Certificate node = Pem.certificates(dir.resolve("node-2.crt")).getFirst();
    Pem.trustManager(dir.resolve("ca.crt")).checkClientTrusted(new X509Certificate[] {node}, "EC");
    Pem.trustManager(dir.resolve("ca.crt"))
        .checkServerTrusted(new X509Certificate[] {node}, "ECDHE_ECDSA");
    assertTrue(Pem.matches(Pem.privateKey(dir.resolve("node-2.key")), node));
    assertTrue(
        node.getSubjectAlternativeNames().stream().anyMatch(n -> n.get(1).equals("10.0.0.5")),
        node.getSubjectAlternativeNames().toString());
    assertTrue(
        node.getSubjectAlternativeNames().stream().anyMatch(n -> n.get(1).equals("localhost")));

    X509Certificate client = Pem.certificates(dir.resolve("client.crt")).getFirst();
    assertEquals("CN=alice,O=Cohort development", client.getSubjectX500Principal().getName());

    Path other = Files.createDirectory(dir.resolve("other"));
    DevCertificates.writeDevSet(other, 1, List.of(), "bob", Duration.ofDays(30));
    assertThrows(
        CertificateException.class,
        () ->
            Pem.trustManager(other.resolve("ca.crt"))
                .checkClientTrusted(new X509Certificate[] {node}, "EC"));
  }

  @Test
  void anExistingCaIsNeverOverwritten() throws Exception {
    DevCertificates.writeDevSet(dir, 1, List.of(), "root", Duration.ofDays(1));
    String before = Files.readString(dir.resolve("ca.key"));
    assertThrows(
        IllegalStateException.class,
        () -> DevCertificates.writeDevSet(dir, 1, List.of(), "root", Duration.ofDays(1)));
    assertEquals(before, Files.readString(dir.resolve("ca.key")));
  }
}
