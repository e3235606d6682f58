package dev.cohort.gateway;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The gateway's HTTPS settings, read from {@code cohort.gateway.tls}.
 *
 * @param enabled whether the gateway serves HTTPS instead of plain HTTP
 * @param certFile the PEM server certificate (chain)
 * @param keyFile its unencrypted PEM private key
 * @param reloadInterval how often a handshake may reread the two files
 * @param clientAuth whether clients are asked for a certificate
 * @param clientCaFile PEM CA certificates whose client certificates are accepted
 */
public record GatewayTlsSettings(
    boolean enabled,
    Path certFile,
    Path keyFile,
    Duration reloadInterval,
    ClientAuth clientAuth,
    Path clientCaFile) {

  /** Client-certificate authentication, as the TLS engine's need/want flags. */
  public enum ClientAuth {
    /** No certificate is asked for. */
    NONE,
    /** Asked for; a client without one still connects, one with an untrusted one does not. */
    WANT,
    /** Required: a client without a trusted certificate cannot connect. */
    NEED
  }

  /**
   * @throws IllegalArgumentException naming the key when a setting is missing or invalid
   */
  public static GatewayTlsSettings create(Config config) {
    Config c = config.getConfig("cohort.gateway.tls");
    String clientAuth = c.getString("client-auth");
    ClientAuth auth;
    try {
      auth = ClientAuth.valueOf(clientAuth.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "cohort.gateway.tls.client-auth: '" + clientAuth + "' is not none, want or need", e);
    }
    GatewayTlsSettings settings =
        new GatewayTlsSettings(
            c.getBoolean("enabled"),
            Path.of(c.getString("cert-file")),
            Path.of(c.getString("key-file")),
            c.getDuration("reload-interval"),
            auth,
            Path.of(c.getString("client-ca-file")));
    if (settings.enabled()) {
      settings.requireFile("cert-file", settings.certFile());
      settings.requireFile("key-file", settings.keyFile());
      if (auth != ClientAuth.NONE) {
        settings.requireFile("client-ca-file", settings.clientCaFile());
      }
    }
    return settings;
  }

  private void requireFile(String key, Path file) {
    if (file.toString().isEmpty()) {
      throw new IllegalArgumentException(
          "cohort.gateway.tls."
              + key
              + " must name a PEM file when HTTPS is on"
              + (key.equals("client-ca-file") ? " with client-auth = " + clientAuth : ""));
    }
  }
}
