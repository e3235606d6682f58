package dev.cohort.etcd;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The etcd listener's settings, read from {@code cohort.etcd} (every key is described in the
 * module's {@code reference.conf}).
 *
 * @param host interface to bind
 * @param port TCP port; 0 turns the listener off, -1 picks a free port
 * @param keyspace the one-partition CP keyspace the etcd API serves
 * @param maxTxnOps most operations in one Txn
 * @param maxRequestBytes largest request accepted
 * @param watchProgressInterval progress notification period for watches that asked for it
 * @param maxWait longest Lock or Campaign wait when the client set no deadline
 * @param version the etcd version string reported by Maintenance.Status
 * @param shutdownDeadline how long in-flight calls may finish on shutdown
 */
public record EtcdSettings(
    String host,
    int port,
    String keyspace,
    int maxTxnOps,
    int maxRequestBytes,
    Duration watchProgressInterval,
    Duration maxWait,
    String version,
    Duration shutdownDeadline) {

  public EtcdSettings {
    if (port < -1 || port > 65535) {
      throw new IllegalArgumentException(
          "cohort.etcd.port must be -1 (any free port), 0 (off) or 1..65535, got " + port);
    }
    if (maxTxnOps < 1) {
      throw new IllegalArgumentException(
          "cohort.etcd.max-txn-ops must be at least 1, got " + maxTxnOps);
    }
    if (maxRequestBytes < 1024) {
      throw new IllegalArgumentException(
          "cohort.etcd.max-request-bytes must be at least 1024, got " + maxRequestBytes);
    }
  }

  public static EtcdSettings create(Config config) {
    Config c = config.getConfig("cohort.etcd");
    return new EtcdSettings(
        c.getString("host"),
        c.getInt("port"),
        c.getString("keyspace"),
        c.getInt("max-txn-ops"),
        c.getBytes("max-request-bytes").intValue(),
        c.getDuration("watch-progress-interval"),
        c.getDuration("max-wait"),
        c.getString("version"),
        c.getDuration("shutdown-deadline"));
  }

  /** Whether the listener is on. */
  public boolean enabled() {
    return port != 0;
  }
}
