package dev.cohort.gateway;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.security.auth.x500.X500Principal;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * The verified client certificate of a request that came over HTTPS with client-certificate
 * authentication ({@code cohort.gateway.tls.client-auth}). The TLS handshake already checked it
 * against the client CA; the gateway keeps each request's TLS session as a request attribute
 * (pekko-http's {@code ssl-session-attribute}), which is where this reads it from.
 */
public final class ClientCertificate {
  private ClientCertificate() {}

  /** The subject of the request's client certificate; empty over plain HTTP or without one. */
  public static Optional<X500Principal> subject(HttpRequest request) {
    return request
        .getAttribute(AttributeKeys.sslSession)
        .flatMap(
            info -> {
              try {
                Certificate[] chain = info.getSession().getPeerCertificates();
                return chain.length > 0 && chain[0] instanceof X509Certificate leaf
                    ? Optional.of(leaf.getSubjectX500Principal())
                    : Optional.empty();
              } catch (SSLPeerUnverifiedException e) {
                return Optional.empty();
              }
            });
  }

  /** The subject's common name (CN), the name a client certificate maps to a user by. */
  public static Optional<String> commonName(HttpRequest request) {
    return subject(request).flatMap(ClientCertificate::commonName);
  }

  static Optional<String> commonName(X500Principal subject) {
    try {
      return new LdapName(subject.getName())
          .getRdns().reversed().stream()
              .filter(rdn -> rdn.getType().equalsIgnoreCase("CN"))
              .map(Rdn::getValue)
              .map(Object::toString)
              .findFirst();
    } catch (InvalidNameException e) {
      return Optional.empty();
    }
  }
}
