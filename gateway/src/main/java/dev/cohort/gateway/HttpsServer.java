package dev.cohort.gateway;

import dev.cohort.cluster.tls.Pem;
import dev.cohort.cluster.tls.ReloadingKeyManager;
import dev.cohort.cluster.tls.SslContexts;
import dev.cohort.cluster.tls.TlsFileException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;

/**
 * The gateway's HTTPS connection context: the server certificate from PEM files, reloaded on change
 * ({@link ReloadingKeyManager}), so a replaced certificate is served to new connections without a
 * restart; client certificates asked for or required as {@link GatewayTlsSettings#clientAuth()}
 * says, and verified against the client CA file.
 */
final class HttpsServer {
  private HttpsServer() {}

  /**
   * @throws IllegalArgumentException naming the setting whose file is unusable
   */
  static HttpsConnectionContext context(GatewayTlsSettings tls) {
    SSLContext context;
    try {
      context =
          SslContexts.create(
              ReloadingKeyManager.load(tls.certFile(), tls.keyFile(), tls.reloadInterval()),
              tls.clientAuth() == GatewayTlsSettings.ClientAuth.NONE
                  ? null
                  : Pem.trustManager(tls.clientCaFile()));
    } catch (TlsFileException e) {
      throw new IllegalArgumentException("cohort.gateway.tls: " + e.getMessage(), e);
    }
    return ConnectionContext.httpsServer(() -> engine(context, tls.clientAuth()));
  }

  private static SSLEngine engine(SSLContext context, GatewayTlsSettings.ClientAuth clientAuth) {
    SSLEngine engine = context.createSSLEngine();
    engine.setUseClientMode(false);
    switch (clientAuth) {
      case NEED -> engine.setNeedClientAuth(true);
      case WANT -> engine.setWantClientAuth(true);
      case NONE -> {
        // no certificate request
      }
    }
    return engine;
  }
}
