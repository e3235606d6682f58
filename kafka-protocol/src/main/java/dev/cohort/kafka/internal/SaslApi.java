package dev.cohort.kafka.internal;

import dev.cohort.security.Audit;
import dev.cohort.security.Security;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.Errors;

/**
 * SASL on the Kafka listener: SaslHandshake (mechanism {@code PLAIN} only) and SaslAuthenticate
 * carrying PLAIN's message ({@code [authzid] NUL user NUL password}, RFC 4616), checked against
 * Cohort's users with the same per-user and per-address rate limit as the HTTP token exchange. A
 * success sets the connection's user; a failure answers SASL_AUTHENTICATION_FAILED (the client then
 * closes) without saying whether the user exists, and is audited. The answer tells the client the
 * session's lifetime ({@code cohort.security.kafka-session-lifetime}, KIP-368's {@code
 * session_lifetime_ms}); kafka-clients then authenticate again on the same connection before it
 * ends. A re-authentication must name the same user, as Kafka requires.
 */
final class SaslApi {
  static final String PLAIN = "PLAIN";
  static final String LISTENER = "kafka";

  private final Security security;
  private final Audit audit;
  private final Duration sessionLifetime;

  SaslApi(Security security, Audit audit, Duration sessionLifetime) {
    this.security = security;
    this.audit = audit;
    this.sessionLifetime = sessionLifetime;
  }

  SaslHandshakeResponseData handshake(SaslHandshakeRequestData data, KafkaSession session) {
    SaslHandshakeResponseData answer =
        new SaslHandshakeResponseData().setMechanisms(List.of(PLAIN));
    if (!PLAIN.equals(data.mechanism())) {
      return answer.setErrorCode(Errors.UNSUPPORTED_SASL_MECHANISM.code());
    }
    session.handshake();
    return answer.setErrorCode(Errors.NONE.code());
  }

  CompletableFuture<SaslAuthenticateResponseData> authenticate(
      SaslAuthenticateRequestData data, short version, KafkaSession session) {
    if (!session.handshaken()) {
      return CompletableFuture.completedFuture(
          failure(Errors.ILLEGAL_SASL_STATE, "SaslAuthenticate before SaslHandshake"));
    }
    String[] parts = new String(data.authBytes(), StandardCharsets.UTF_8).split("\u0000", -1);
    if (parts.length != 3 || (!parts[0].isEmpty() && !parts[0].equals(parts[1]))) {
      return CompletableFuture.completedFuture(
          failure(Errors.SASL_AUTHENTICATION_FAILED, "malformed SASL/PLAIN message"));
    }
    String user = parts[1];
    String previous = session.user();
    if (previous != null && !previous.equals(user)) {
      return CompletableFuture.completedFuture(
          failure(
              Errors.SASL_AUTHENTICATION_FAILED,
              "Cannot change principals during re-authentication"));
    }
    return security
        .checkPassword(user, parts[2], session.source())
        .toCompletableFuture()
        .handle(
            (checked, thrown) -> {
              if (thrown == null) {
                session.authenticated(checked, sessionLifetime);
                audit.authenticated(user, session.source(), LISTENER);
                SaslAuthenticateResponseData ok =
                    new SaslAuthenticateResponseData()
                        .setErrorCode(Errors.NONE.code())
                        .setAuthBytes(new byte[0]);
                // version 0 has no lifetime field: such a client is closed when the session ends
                return version >= 1 ? ok.setSessionLifetimeMs(sessionLifetime.toMillis()) : ok;
              }
              boolean limited =
                  audit.passwordRefused(
                      thrown, user, session.source(), LISTENER, "SaslAuthenticate");
              return failure(
                  Errors.SASL_AUTHENTICATION_FAILED,
                  limited
                      ? "too many failed attempts; try again later"
                      : "Authentication failed: invalid credentials with SASL mechanism PLAIN");
            });
  }

  private static SaslAuthenticateResponseData failure(Errors error, String message) {
    return new SaslAuthenticateResponseData()
        .setErrorCode(error.code())
        .setErrorMessage(message)
        .setAuthBytes(new byte[0]);
  }
}
