package dev.cohort.kv;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;

/**
 * The settings of the kv service, read from {@code cohort.kv} (every key is described in the
 * module's {@code reference.conf}).
 */
public record KvSettings(
    Duration askTimeout,
    int defaultPartitions,
    int maxPartitions,
    int maxValueBytes,
    int rangeMaxLimit,
    long historyKeepRevisions,
    Duration historyKeepDuration,
    long historyMaxBytes,
    int snapshotEveryEvents,
    int snapshotKeep,
    Duration restartBackoffMin,
    Duration restartBackoffMax,
    double restartBackoffRandomFactor,
    int batchMaxCommands,
    Duration batchReleaseAfter,
    int lessors,
    Duration leaseCheckInterval,
    Duration leaseMinTtl,
    Duration leaseMaxTtl,
    Duration leaseRevokedRetention,
    int watchBufferEvents,
    String locksKeyspace,
    String locksPrefix,
    String electionPrefix,
    Duration txnPrepareTimeout,
    Duration txnLockWait,
    Duration txnRetryInterval,
    int txnRememberOutcomes,
    String txnFailpoint) {

  /** Keys are 1 to this many bytes of UTF-8; fixed by the API, not configurable. */
  public static final int MAX_KEY_BYTES = 1024;

  public static KvSettings create(Config config) {
    Config c = config.getConfig("cohort.kv");
    KvSettings s =
        new KvSettings(
            c.getDuration("ask-timeout"),
            c.getInt("default-partitions"),
            c.getInt("max-partitions"),
            c.getBytes("max-value-bytes").intValue(),
            c.getInt("range-max-limit"),
            c.getLong("history.keep-revisions"),
            c.getDuration("history.keep-duration"),
            c.getBytes("history.max-bytes"),
            c.getInt("snapshot-every-events"),
            c.getInt("snapshot-keep"),
            c.getDuration("restart-backoff-min"),
            c.getDuration("restart-backoff-max"),
            c.getDouble("restart-backoff-random-factor"),
            c.getInt("batch.max-commands"),
            c.getDuration("batch.release-after"),
            c.getInt("lease.lessors"),
            c.getDuration("lease.check-interval"),
            c.getDuration("lease.min-ttl"),
            c.getDuration("lease.max-ttl"),
            c.getDuration("lease.revoked-retention"),
            c.getInt("watch.buffer-events"),
            c.getString("locks.keyspace"),
            c.getString("locks.prefix"),
            c.getString("locks.election-prefix"),
            c.getDuration("txn.prepare-timeout"),
            c.getDuration("txn.lock-wait"),
            c.getDuration("txn.retry-interval"),
            c.getInt("txn.remember-outcomes"),
            c.getString("txn.failpoint"));
    s.check();
    return s;
  }

  private void check() {
    require(
        defaultPartitions >= 1 && defaultPartitions <= maxPartitions,
        "default-partitions must be within 1..max-partitions");
    require(maxValueBytes >= 1, "max-value-bytes must be positive");
    require(historyKeepRevisions >= 1, "history.keep-revisions must be at least 1");
    require(historyMaxBytes >= 0, "history.max-bytes must not be negative");
    require(snapshotEveryEvents >= 1, "snapshot-every-events must be at least 1");
    require(snapshotKeep >= 1, "snapshot-keep must be at least 1");
    require(
        !restartBackoffMin.isNegative() && !restartBackoffMin.isZero(),
        "restart-backoff-min must be positive");
    require(
        restartBackoffMax.compareTo(restartBackoffMin) >= 0,
        "restart-backoff-max must be at least restart-backoff-min");
    require(
        restartBackoffRandomFactor >= 0 && restartBackoffRandomFactor <= 1,
        "restart-backoff-random-factor must be within 0..1");
    require(batchMaxCommands >= 1, "batch.max-commands must be at least 1");
    require(lessors >= 1 && lessors <= 1024, "lease.lessors must be within 1..1024");
    require(rangeMaxLimit >= 1, "range-max-limit must be at least 1");
    require(watchBufferEvents >= 16, "watch.buffer-events must be at least 16");
    require(
        leaseRevokedRetention.compareTo(askTimeout) > 0,
        "lease.revoked-retention must exceed ask-timeout");
    require(
        txnLockWait.compareTo(askTimeout) < 0, "txn.lock-wait must be shorter than ask-timeout");
    require(
        !txnPrepareTimeout.isNegative() && !txnPrepareTimeout.isZero(),
        "txn.prepare-timeout must be positive");
    require(
        !txnRetryInterval.isNegative() && !txnRetryInterval.isZero(),
        "txn.retry-interval must be positive");
    require(txnRememberOutcomes >= 1, "txn.remember-outcomes must be at least 1");
    require(
        List.of("", "crash-before-decision", "crash-after-decision").contains(txnFailpoint),
        "txn.failpoint must be \"\", crash-before-decision or crash-after-decision");
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException("cohort.kv." + message);
    }
  }
}
