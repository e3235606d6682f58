package dev.cohort.cluster.tls;

import java.net.Socket;
import java.nio.file.Path;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key manager of a TLS listener or client whose certificate and key are PEM files that may be
 * replaced while it runs (certificate rotation). On a handshake, at most once per check interval,
 * it rereads both files; when their contents changed and the new key belongs to the new
 * certificate, new handshakes use the new pair. Established connections keep theirs.
 *
 * <p>Invariants: a handshake never pairs one generation's certificate with another's key (each
 * generation has its own alias, and the previous generation stays resolvable for a handshake that
 * chose it just before a swap); files that do not parse, or a key that does not match its
 * certificate (the two files replaced one after the other), leave the serving pair unchanged and
 * are logged once. Thread-safe: handshakes on many threads read a volatile snapshot; reloads are
 * serialized.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {
  private static final Logger log = LoggerFactory.getLogger(ReloadingKeyManager.class);

  private final Path certFile;
  private final Path keyFile;
  private final long checkIntervalNanos;
  private volatile Generation current;
  private volatile Generation previous;
  private volatile long nextCheckNanos;
  private int rejectedHash;

  /** One loaded certificate chain and key, with the file contents it came from. */
  private record Generation(
      int number, byte[] certBytes, byte[] keyBytes, X509Certificate[] chain, PrivateKey key) {
    String alias() {
      return "cohort-" + number;
    }
  }

  private ReloadingKeyManager(Path certFile, Path keyFile, Duration checkInterval) {
    this.certFile = certFile;
    this.keyFile = keyFile;
    this.checkIntervalNanos = checkInterval.toNanos();
  }

  /**
   * Loads the pair now, failing when it cannot be used, and rereads it on change afterwards.
   *
   * @param checkInterval how often a handshake may look at the files; zero looks on every one
   * @throws TlsFileException when either file is unusable or the key is not the certificate's
   */
  public static ReloadingKeyManager load(Path certFile, Path keyFile, Duration checkInterval) {
    ReloadingKeyManager manager = new ReloadingKeyManager(certFile, keyFile, checkInterval);
    manager.current = manager.parse(1, Pem.read(certFile), Pem.read(keyFile));
    manager.nextCheckNanos = System.nanoTime() + manager.checkIntervalNanos;
    return manager;
  }

  private Generation parse(int number, byte[] certBytes, byte[] keyBytes) {
    List<X509Certificate> chain = Pem.certificates(certFile, certBytes);
    PrivateKey key = Pem.privateKey(keyFile, keyBytes);
    if (!Pem.matches(key, chain.getFirst())) {
      throw new TlsFileException(keyFile, "is not the private key of the certificate " + certFile);
    }
    return new Generation(number, certBytes, keyBytes, chain.toArray(X509Certificate[]::new), key);
  }

  private void refreshIfDue() {
    if (System.nanoTime() - nextCheckNanos < 0) {
      return;
    }
    synchronized (this) {
      long now = System.nanoTime();
      if (now - nextCheckNanos < 0) {
        return;
      }
      nextCheckNanos = now + checkIntervalNanos;
      reload();
    }
  }

  private void reload() {
    Generation serving = current;
    byte[] certBytes;
    byte[] keyBytes;
    try {
      certBytes = Pem.read(certFile);
      keyBytes = Pem.read(keyFile);
    } catch (TlsFileException e) {
      rejectOnce(e.getMessage().hashCode(), e);
      return;
    }
    if (Arrays.equals(certBytes, serving.certBytes())
        && Arrays.equals(keyBytes, serving.keyBytes())) {
      return;
    }
    try {
      Generation next = parse(serving.number() + 1, certBytes, keyBytes);
      previous = serving;
      current = next;
      rejectedHash = 0;
      log.info(
          "TLS certificate reloaded from {}: subject {}, valid until {}",
          certFile,
          next.chain()[0].getSubjectX500Principal().getName(),
          next.chain()[0].getNotAfter().toInstant());
    } catch (TlsFileException e) {
      rejectOnce(Arrays.hashCode(certBytes) * 31 + Arrays.hashCode(keyBytes), e);
    }
  }

  private void rejectOnce(int hash, TlsFileException e) {
    if (hash != rejectedHash) {
      rejectedHash = hash;
      log.warn("TLS certificate not reloaded, still serving the previous one: {}", e.getMessage());
    }
  }

  private Generation generation(String alias) {
    Generation now = current;
    if (now.alias().equals(alias)) {
      return now;
    }
    Generation before = previous;
    return before != null && before.alias().equals(alias) ? before : null;
  }

  /** The current alias when its key suits {@code keyTypes} ("RSA", "EC", or TLS 1.2's "EC_RSA"). */
  private String choose(String... keyTypes) {
    refreshIfDue();
    Generation now = current;
    String algorithm = now.key().getAlgorithm();
    for (String keyType : keyTypes == null ? new String[0] : keyTypes) {
      String wanted = keyType.split("_", 2)[0];
      if (wanted.equals(algorithm) || ("EdDSA".equals(wanted) && algorithm.startsWith("Ed"))) {
        return now.alias();
      }
    }
    return null;
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return choose(keyType);
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return choose(keyType);
  }

  @Override
  public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
    return choose(keyTypes);
  }

  @Override
  public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
    return choose(keyTypes);
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    String alias = choose(keyType);
    return alias == null ? null : new String[] {alias};
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return getServerAliases(keyType, issuers);
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    Generation generation = generation(alias);
    return generation == null ? null : generation.chain().clone();
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    Generation generation = generation(alias);
    return generation == null ? null : generation.key();
  }
}
