package dev.cohort.cluster.tls;

import java.security.GeneralSecurityException;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** Builds the JDK {@link SSLContext}s that Cohort's listeners and clients use. */
public final class SslContexts {
  private SslContexts() {}

  /**
   * A TLS context presenting {@code keys} (null: no certificate, a plain client) and trusting what
   * {@code trust} accepts (null: the JDK's default CAs).
   */
  public static SSLContext create(ReloadingKeyManager keys, X509TrustManager trust) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(
          keys == null ? null : new KeyManager[] {keys},
          trust == null ? null : new TrustManager[] {trust},
          null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot create a TLS context", e);
    }
  }
}
