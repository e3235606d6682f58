package dev.cohort.kv.ap;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The settings of AP keyspaces, read from {@code cohort.kv.ap} (every key is described in the kv
 * module's {@code reference.conf}, with its unit, default and whether it must match across the
 * cluster).
 *
 * @param buckets Distributed Data entries per keyspace (cluster-wide, fixed)
 * @param defaultConsistency the consistency of a request that names none
 * @param requestTimeout how long a quorum or all request waits for the replicas
 * @param maxValueBytes largest value accepted by a put
 * @param maxTtl longest per-key TTL
 * @param tombstoneTtl how long tombstones and expired values are kept before purging (cluster-wide)
 * @param maxClockOffset how far ahead of this node's wall clock a timestamp it observes may be
 *     before the node refuses to follow it (zero: no limit)
 * @param gossipInterval Distributed Data's gossip interval
 * @param notifyInterval how often watches are told about changes
 * @param sweepInterval how often each node purges tombstones and recounts keys
 * @param rangeParallelism buckets a range read reads at once
 * @param watchBufferEvents events buffered for a slow watch consumer
 * @param durable whether buckets are kept on disk
 * @param durableDirectory where (resolved against {@code cohort.node.data-dir})
 * @param fsync whether durable writes are forced to the device before they are acknowledged
 * @param writeBehindInterval how long changes that arrived by replication may wait to be stored
 */
public record ApSettings(
    int buckets,
    Consistency defaultConsistency,
    Duration requestTimeout,
    int maxValueBytes,
    Duration maxTtl,
    Duration tombstoneTtl,
    Duration maxClockOffset,
    Duration gossipInterval,
    Duration notifyInterval,
    Duration sweepInterval,
    int rangeParallelism,
    int watchBufferEvents,
    boolean durable,
    Path durableDirectory,
    boolean fsync,
    Duration writeBehindInterval) {

  public static ApSettings create(Config config) {
    Config c = config.getConfig("cohort.kv.ap");
    String dir = c.getString("durable.directory");
    Path dataDir = Path.of(config.getString("cohort.node.data-dir"));
    ApSettings s =
        new ApSettings(
            c.getInt("buckets"),
            Consistency.parse(c.getString("default-consistency"), null),
            c.getDuration("request-timeout"),
            c.getBytes("max-value-bytes").intValue(),
            c.getDuration("max-ttl"),
            c.getDuration("tombstone-ttl"),
            c.getDuration("max-clock-offset"),
            c.getDuration("gossip-interval"),
            c.getDuration("notify-interval"),
            c.getDuration("sweep-interval"),
            c.getInt("range-parallelism"),
            c.getInt("watch.buffer-events"),
            c.getBoolean("durable.enabled"),
            dir.isEmpty() ? dataDir.resolve("ddata") : dataDir.resolve(dir),
            c.getBoolean("durable.fsync"),
            c.getDuration("durable.write-behind-interval"));
    s.check();
    return s;
  }

  private void check() {
    require(buckets >= 1 && buckets <= 65536, "buckets must be within 1..65536");
    require(defaultConsistency != null, "default-consistency must be one, quorum or all");
    require(!requestTimeout.isNegative() && !requestTimeout.isZero(),
        "request-timeout must be positive");
    require(maxValueBytes >= 1, "max-value-bytes must be positive");
    require(maxTtl.toSeconds() >= 1, "max-ttl must be at least 1s");
    require(tombstoneTtl.toMillis() >= 1, "tombstone-ttl must be positive");
    require(!maxClockOffset.isNegative(), "max-clock-offset must not be negative");
    require(sweepInterval.toMillis() >= 1, "sweep-interval must be positive");
    require(rangeParallelism >= 1, "range-parallelism must be at least 1");
    require(watchBufferEvents >= 16, "watch.buffer-events must be at least 16");
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException("cohort.kv.ap." + message);
    }
  }
}
