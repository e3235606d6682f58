package dev.cohort.cluster.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReloadingKeyManagerTest {
  private static final Duration YEAR = Duration.ofDays(365);

  @TempDir Path dir;

  private final DevCertificates.Issued ca = DevCertificates.authority("test CA", YEAR);

  private DevCertificates.Issued node(String name) {
    return DevCertificates.node(ca, name, List.of("localhost", "127.0.0.1"), YEAR);
  }

  @Test
  void servesTheLoadedPairUnderAnAliasMatchingItsKeyType() {
    DevCertificates.Issued first = node("first");
    first.write(dir.resolve("n.crt"), dir.resolve("n.key"));
    ReloadingKeyManager keys =
        ReloadingKeyManager.load(dir.resolve("n.crt"), dir.resolve("n.key"), Duration.ZERO);
    String alias = keys.chooseEngineServerAlias("EC", null, null);
    assertNotNull(alias);
    assertNull(keys.chooseEngineServerAlias("RSA", null, null), "an EC key offered for RSA");
    assertEquals(first.certificate(), keys.getCertificateChain(alias)[0]);
    assertEquals(first.key(), keys.getPrivateKey(alias));
  }

  @Test
  void aReplacedPairIsServedOnTheNextHandshakeAndTheOldAliasStillResolves() throws Exception {
    node("first").write(dir.resolve("n.crt"), dir.resolve("n.key"));
    ReloadingKeyManager keys =
        ReloadingKeyManager.load(dir.resolve("n.crt"), dir.resolve("n.key"), Duration.ZERO);
    String oldAlias = keys.chooseEngineServerAlias("EC", null, null);

    DevCertificates.Issued second = node("second");
    second.write(dir.resolve("new.crt"), dir.resolve("new.key"));
    Files.move(dir.resolve("new.crt"), dir.resolve("n.crt"), StandardCopyOption.REPLACE_EXISTING);
    Files.move(dir.resolve("new.key"), dir.resolve("n.key"), StandardCopyOption.REPLACE_EXISTING);

    String newAlias = keys.chooseEngineServerAlias("EC", null, null);
    assertEquals(second.certificate(), keys.getCertificateChain(newAlias)[0]);
    assertEquals(second.key(), keys.getPrivateKey(newAlias));
    assertTrue(
        keys.getCertificateChain(oldAlias)[0].getSubjectX500Principal().getName().contains("first"),
        "a handshake that chose the old alias before the swap still gets the old pair");
  }

  @Test
  void aCertificateWhoseKeyIsNotYetReplacedKeepsTheOldPair() throws Exception {
    DevCertificates.Issued first = node("first");
    first.write(dir.resolve("n.crt"), dir.resolve("n.key"));
    ReloadingKeyManager keys =
        ReloadingKeyManager.load(dir.resolve("n.crt"), dir.resolve("n.key"), Duration.ZERO);

    node("second").write(dir.resolve("n.crt"), dir.resolve("other.key"));

    String alias = keys.chooseEngineServerAlias("EC", null, null);
    assertArrayEquals(
        new Object[] {first.certificate()}, keys.getCertificateChain(alias), "half a rotation");
    assertEquals(first.key(), keys.getPrivateKey(alias));
  }

  @Test
  void aKeyOfAnotherCertificateIsRefusedAtLoadNamingTheFiles() {
    node("first").write(dir.resolve("a.crt"), dir.resolve("a.key"));
    node("second").write(dir.resolve("b.crt"), dir.resolve("b.key"));
    TlsFileException error =
        assertThrows(
            TlsFileException.class,
            () -> ReloadingKeyManager.load(dir.resolve("a.crt"), dir.resolve("b.key"), YEAR));
    assertTrue(error.getMessage().contains("b.key"), error.getMessage());
  }

  @Test
  void aMissingOrNonPemFileIsATypedError() throws Exception {
    Files.writeString(dir.resolve("junk.crt"), "not a certificate");
    assertThrows(TlsFileException.class, () -> Pem.certificates(dir.resolve("junk.crt")));
    assertThrows(TlsFileException.class, () -> Pem.privateKey(dir.resolve("junk.crt")));
    assertThrows(TlsFileException.class, () -> Pem.trustManager(dir.resolve("missing.crt")));
  }
}
