package dev.cohort.security;

/**
 * The answer to "may this request go ahead": allowed (with the user, empty while auth is disabled),
 * unauthenticated (with why), or denied (authenticated, not permitted).
 *
 * @param outcome what was decided
 * @param user the authenticated user; empty when auth is disabled or nobody authenticated
 * @param reason for a refusal, the {@code reason} label of {@code cohort_auth_failures_total}
 */
public record AuthDecision(Outcome outcome, String user, String reason) {
  /** What was decided. */
  public enum Outcome {
    ALLOWED,
    UNAUTHENTICATED,
    DENIED
  }

  /** Reasons, as metric labels and audit fields. */
  public static final String MISSING_TOKEN = "missing_token";

  public static final String INVALID_TOKEN = "invalid_token";
  public static final String EXPIRED_TOKEN = "expired_token";
  public static final String PERMISSION_DENIED = "permission_denied";
  public static final String BAD_PASSWORD = "bad_password";
  public static final String RATE_LIMITED = "rate_limited";
  public static final String UNKNOWN_CERTIFICATE_USER = "unknown_certificate_user";

  /**
   * A request on a session whose user was deleted or whose password changed since it authenticated
   * (Kafka's SASL).
   */
  public static final String CREDENTIALS_CHANGED = "credentials_changed";

  /** A request on a session past its lifetime that did not authenticate again (Kafka's SASL). */
  public static final String SESSION_EXPIRED = "session_expired";

  /** A request on a connection that never authenticated (Kafka without SASL). */
  public static final String MISSING_CREDENTIALS = "missing_credentials";

  public static AuthDecision allowed(String user) {
    return new AuthDecision(Outcome.ALLOWED, user, "");
  }

  public static AuthDecision unauthenticated(String reason) {
    return new AuthDecision(Outcome.UNAUTHENTICATED, "", reason);
  }

  public static AuthDecision denied(String user) {
    return new AuthDecision(Outcome.DENIED, user, PERMISSION_DENIED);
  }

  public boolean allowed() {
    return outcome == Outcome.ALLOWED;
  }
}
