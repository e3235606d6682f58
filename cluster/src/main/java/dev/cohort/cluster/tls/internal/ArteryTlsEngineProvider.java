package dev.cohort.cluster.tls.internal;

import dev.cohort.cluster.tls.NodeTlsSettings;
import dev.cohort.cluster.tls.Pem;
import dev.cohort.cluster.tls.ReloadingKeyManager;
import dev.cohort.cluster.tls.SslContexts;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.remote.artery.tcp.SSLEngineProvider;
import scala.Option;

/**
 * Artery's TLS engines for node-to-node remoting ({@code cohort.node.tls}): both sides present this
 * node's certificate from PEM files (reloaded on change by {@link ReloadingKeyManager}) and require
 * the peer's to be issued by the cluster's CA. Mutual authentication is always on: the accepting
 * side demands a client certificate, so a node without a certificate from the cluster's CA can
 * neither connect nor be connected to, and never joins.
 *
 * <p>Peers are not checked against host names: nodes find each other by address and any holder of a
 * certificate from the cluster's CA is a member, so that CA must issue certificates to cluster
 * nodes only. Pekko instantiates this class by name with the classic actor system.
 */
public final class ArteryTlsEngineProvider implements SSLEngineProvider {
  private static final String[] PROTOCOLS = {"TLSv1.3"};

  private final SSLContext context;

  public ArteryTlsEngineProvider(ActorSystem system) {
    NodeTlsSettings settings = NodeTlsSettings.create(system.settings().config());
    this.context =
        SslContexts.create(
            ReloadingKeyManager.load(
                settings.certFile(), settings.keyFile(), settings.reloadInterval()),
            Pem.trustManager(settings.caFile()));
  }

  @Override
  public SSLEngine createServerSSLEngine(String hostname, int port) {
    SSLEngine engine = context.createSSLEngine();
    engine.setUseClientMode(false);
    engine.setNeedClientAuth(true);
    engine.setEnabledProtocols(PROTOCOLS);
    return engine;
  }

  @Override
  public SSLEngine createClientSSLEngine(String hostname, int port) {
    SSLEngine engine = context.createSSLEngine(hostname, port);
    engine.setUseClientMode(true);
    engine.setEnabledProtocols(PROTOCOLS);
    return engine;
  }

  @Override
  public Option<Throwable> verifyClientSession(String hostname, SSLSession session) {
    return Option.empty();
  }

  @Override
  public Option<Throwable> verifyServerSession(String hostname, SSLSession session) {
    return Option.empty();
  }
}
