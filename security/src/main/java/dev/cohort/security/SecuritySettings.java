package dev.cohort.security;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The security settings, read from {@code cohort.security} (every key is described in the module's
 * {@code reference.conf}).
 */
public record SecuritySettings(
    boolean allowInsecure,
    Duration askTimeout,
    Duration startupCheckTimeout,
    Duration tokenTtl,
    Duration maxTokenTtl,
    int passwordIterations,
    int minPasswordLength,
    int maxPasswordLength,
    Duration viewMaxAge,
    Duration streamCheckInterval,
    Duration kafkaSessionLifetime,
    int failedAttemptsMax,
    Duration failedAttemptsWindow,
    String realm,
    int snapshotEvery,
    int keepSnapshots,
    Duration restartBackoffMin,
    Duration restartBackoffMax,
    double restartBackoffRandomFactor) {

  public static SecuritySettings create(Config config) {
    Config c = config.getConfig("cohort.security");
    SecuritySettings settings =
        new SecuritySettings(
            c.getBoolean("allow-insecure"),
            c.getDuration("ask-timeout"),
            c.getDuration("startup-check-timeout"),
            c.getDuration("token-ttl"),
            c.getDuration("max-token-ttl"),
            c.getInt("password-iterations"),
            c.getInt("min-password-length"),
            c.getInt("max-password-length"),
            c.getDuration("view-max-age"),
            c.getDuration("stream-check-interval"),
            c.getDuration("kafka-session-lifetime"),
            c.getInt("failed-attempts.max"),
            c.getDuration("failed-attempts.window"),
            c.getString("realm"),
            c.getInt("snapshot-every"),
            c.getInt("keep-snapshots"),
            c.getDuration("restart-backoff-min"),
            c.getDuration("restart-backoff-max"),
            c.getDouble("restart-backoff-random-factor"));
    settings.check();
    return settings;
  }

  private void check() {
    if (passwordIterations < 1000) {
      throw new IllegalArgumentException(
          "cohort.security.password-iterations must be at least 1000");
    }
    if (minPasswordLength < 1 || maxPasswordLength < minPasswordLength) {
      throw new IllegalArgumentException(
          "cohort.security.min-password-length must be at least 1 and at most max-password-length");
    }
    if (streamCheckInterval.isNegative() || streamCheckInterval.isZero()) {
      throw new IllegalArgumentException("cohort.security.stream-check-interval must be positive");
    }
    if (kafkaSessionLifetime.toMillis() < 1) {
      throw new IllegalArgumentException(
          "cohort.security.kafka-session-lifetime must be at least 1ms");
    }
    if (failedAttemptsMax < 1) {
      throw new IllegalArgumentException("cohort.security.failed-attempts.max must be at least 1");
    }
    if (tokenTtl.compareTo(maxTokenTtl) > 0 || tokenTtl.isNegative() || tokenTtl.isZero()) {
      throw new IllegalArgumentException(
          "cohort.security.token-ttl must be positive and at most max-token-ttl");
    }
  }
}
