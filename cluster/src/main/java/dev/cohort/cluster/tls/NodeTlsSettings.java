package dev.cohort.cluster.tls;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Node-to-node TLS, read from {@code cohort.node.tls}: when enabled, Artery runs over {@code
 * tls-tcp} with mutual authentication, and a peer is accepted only with a certificate issued by the
 * CA in {@code caFile}.
 *
 * @param enabled whether remoting uses TLS; must match on every node
 * @param certFile this node's PEM certificate (chain), presented to peers in both directions
 * @param keyFile the certificate's unencrypted PEM private key
 * @param caFile PEM certificates of the cluster's CA: the only issuer whose nodes may connect
 * @param reloadInterval how often a handshake may reread the certificate and key files
 */
public record NodeTlsSettings(
    boolean enabled, Path certFile, Path keyFile, Path caFile, Duration reloadInterval) {

  public static NodeTlsSettings create(Config config) {
    Config c = config.getConfig("cohort.node.tls");
    return new NodeTlsSettings(
        c.getBoolean("enabled"),
        Path.of(c.getString("cert-file")),
        Path.of(c.getString("key-file")),
        Path.of(c.getString("ca-file")),
        c.getDuration("reload-interval"));
  }

  /**
   * Loads the files once so that a wrong path or a mismatched key stops the node at start with a
   * message naming the key, rather than failing every connection later.
   *
   * @throws IllegalArgumentException naming the setting whose file is unusable
   */
  public void check() {
    require("cert-file", certFile);
    require("key-file", keyFile);
    require("ca-file", caFile);
    try {
      ReloadingKeyManager.load(certFile, keyFile, reloadInterval);
      Pem.trustManager(caFile);
    } catch (TlsFileException e) {
      throw new IllegalArgumentException("cohort.node.tls: " + e.getMessage(), e);
    }
  }

  private static void require(String key, Path file) {
    if (file.toString().isEmpty()) {
      throw new IllegalArgumentException(
          "cohort.node.tls." + key + " must name a PEM file when cohort.node.tls.enabled = on");
    }
  }
}
