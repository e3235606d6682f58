package dev.cohort.saga;

import com.typesafe.config.Config;
import java.time.Duration;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.SupervisorStrategy;

/**
 * The settings under {@code cohort.saga} (see the module's {@code reference.conf} for each key's
 * meaning).
 */
public record SagaSettings(
    Duration askTimeout,
    Duration defaultStepTimeout,
    RetryPolicy defaultRetry,
    int maxSteps,
    int maxContextBytes,
    int maxDefinitionBytes,
    int indexBuckets,
    Duration wakeInterval,
    int listMaxResults,
    String eventsTopic,
    int eventsTopicPartitions,
    boolean publishEvents,
    Duration httpConnectTimeout,
    int updatesBufferSize,
    Duration restartMinBackoff,
    Duration restartMaxBackoff,
    double restartRandomFactor,
    int indexSnapshotEvery,
    int definitionsSnapshotEvery) {

  public static SagaSettings create(Config root) {
    Config c = root.getConfig("cohort.saga");
    Config retry = c.getConfig("default-retry");
    SagaSettings settings =
        new SagaSettings(
            c.getDuration("ask-timeout"),
            c.getDuration("default-step-timeout"),
            new RetryPolicy(
                retry.getInt("max-attempts"),
                retry.getDuration("initial-backoff").toMillis(),
                retry.getDuration("max-backoff").toMillis(),
                retry.getDouble("multiplier")),
            c.getInt("max-steps"),
            (int) c.getBytes("max-context-bytes").longValue(),
            (int) c.getBytes("max-definition-bytes").longValue(),
            c.getInt("index-buckets"),
            c.getDuration("wake-interval"),
            c.getInt("list-max-results"),
            c.getString("events.topic"),
            c.getInt("events.partitions"),
            c.getBoolean("events.enabled"),
            c.getDuration("http.connect-timeout"),
            c.getInt("updates-buffer-size"),
            c.getDuration("entity.restart-min-backoff"),
            c.getDuration("entity.restart-max-backoff"),
            c.getDouble("entity.restart-random-factor"),
            c.getInt("entity.snapshot-every.index"),
            c.getInt("entity.snapshot-every.definitions"));
    settings.check();
    return settings;
  }

  private void check() {
    require(!askTimeout.isNegative() && !askTimeout.isZero(), "ask-timeout must be positive");
    require(
        !defaultStepTimeout.isNegative() && !defaultStepTimeout.isZero(),
        "default-step-timeout must be positive");
    require(defaultRetry.maxAttempts() >= 1, "default-retry.max-attempts must be at least 1");
    require(
        defaultRetry.initialBackoffMs() <= defaultRetry.maxBackoffMs(),
        "default-retry.initial-backoff must not exceed max-backoff");
    require(defaultRetry.multiplier() >= 1.0, "default-retry.multiplier must be at least 1.0");
    require(maxSteps >= 1, "max-steps must be at least 1");
    require(maxContextBytes >= 1024, "max-context-bytes must be at least 1 KiB");
    require(maxDefinitionBytes >= 1024, "max-definition-bytes must be at least 1 KiB");
    require(indexBuckets >= 1 && indexBuckets <= 1024, "index-buckets must be 1 to 1024");
    require(!wakeInterval.isNegative() && !wakeInterval.isZero(), "wake-interval must be positive");
    require(listMaxResults >= 1, "list-max-results must be at least 1");
    require(!eventsTopic.isBlank(), "events.topic must not be empty");
    require(eventsTopicPartitions >= 1, "events.partitions must be at least 1");
    require(updatesBufferSize >= 1, "updates-buffer-size must be at least 1");
    require(
        !restartMinBackoff.isNegative() && !restartMinBackoff.isZero(),
        "entity.restart-min-backoff must be positive");
    require(
        restartMaxBackoff.compareTo(restartMinBackoff) >= 0,
        "entity.restart-max-backoff must not be less than restart-min-backoff");
    require(
        restartRandomFactor >= 0.0 && restartRandomFactor <= 1.0,
        "entity.restart-random-factor must be in [0, 1]");
    require(indexSnapshotEvery >= 1, "entity.snapshot-every.index must be at least 1");
    require(definitionsSnapshotEvery >= 1, "entity.snapshot-every.definitions must be at least 1");
  }

  /**
   * How the module's entities restart after an infrastructure failure (a journal write or read that
   * failed): from their journal, after a backoff from {@code entity.restart-min-backoff} up to
   * {@code entity.restart-max-backoff}.
   */
  public BackoffSupervisorStrategy restartStrategy() {
    return SupervisorStrategy.restartWithBackoff(
        restartMinBackoff, restartMaxBackoff, restartRandomFactor);
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException("cohort.saga." + message);
    }
  }
}
