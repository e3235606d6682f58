package dev.cohort.security;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.observability.Metrics;
import dev.cohort.persistence.AskFailures;
import io.prometheus.metrics.core.metrics.Counter;
import java.time.Instant;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Security events of every listener, as audit log lines (logger {@value #LOGGER}, one JSON object
 * per line) and the counter {@code cohort_auth_failures_total{reason}}. A line names the event, the
 * user when known, the source address, the listener and what was asked; never a password or a
 * token. Thread-safe.
 */
public final class Audit {
  /** The logger audit lines go to; route it to its own file in logback.xml if wanted. */
  public static final String LOGGER = "dev.cohort.security.audit";

  private static final Logger log = LoggerFactory.getLogger(LOGGER);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Counter failures;

  private Audit(Counter failures) {
    this.failures = failures;
  }

  public static Audit create(ActorSystem<?> system) {
    return new Audit(
        Metrics.get(system)
            .counter(
                "cohort_auth_failures",
                "Refused authentications and permission denials, by reason",
                "reason"));
  }

  /** A refused authentication (missing, invalid or expired token, bad password, rate limited). */
  public void authFailure(String reason, String user, String source, String listener, String what) {
    failures.labelValues(reason).inc();
    write("auth_failure", reason, user, source, listener, what);
  }

  /**
   * A refused password check, audited with its reason (rate limited, or a bad password: the
   * listener's answer never says which part was wrong). Returns whether it was the rate limit.
   */
  public boolean passwordRefused(
      Throwable failure, String user, String source, String listener, String what) {
    boolean limited =
        AskFailures.unwrap(failure) instanceof SecurityException e
            && e.is(SecurityError.TOO_MANY_ATTEMPTS);
    authFailure(
        limited ? AuthDecision.RATE_LIMITED : AuthDecision.BAD_PASSWORD,
        user,
        source,
        listener,
        what);
    return limited;
  }

  /** An authenticated request its roles do not permit. */
  public void denied(String user, String source, String listener, String what) {
    failures.labelValues(AuthDecision.PERMISSION_DENIED).inc();
    write("permission_denied", AuthDecision.PERMISSION_DENIED, user, source, listener, what);
  }

  /** A change to users, roles, grants, tokens or the auth switch, by {@code user}. */
  public void change(String action, String user, String source, String listener, String what) {
    write("auth_change", action, user, source, listener, what);
  }

  /** A successful password check (a token issued, a SASL exchange). */
  public void authenticated(String user, String source, String listener) {
    write("authenticated", "", user, source, listener, "");
  }

  private static void write(
      String event, String reason, String user, String source, String listener, String what) {
    ObjectNode line = JSON.createObjectNode();
    line.put("time", Instant.now().toString());
    line.put("event", event);
    if (!reason.isEmpty()) {
      line.put(event.equals("auth_change") ? "action" : "reason", reason);
    }
    line.put("user", user);
    line.put("source", source);
    line.put("listener", listener);
    if (!what.isEmpty()) {
      line.put("request", what);
    }
    log.info("{}", line);
  }
}
