package dev.cohort.kv.ap;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The settings of AP keyspaces, read from {@code cohort.kv.ap} (every key is described in the kv
 * module's {@code reference.conf}, with its unit, default and whether it must match across the
 * cluster).
 *
 * @param defaultReplicationFactor replicas per key of a keyspace created without one, capped by the
 *     cluster size at creation (cluster-wide)
 * @param virtualNodes points per node on the placement ring (cluster-wide, fixed)
 * @param defaultConsistency the consistency of a request that names none
 * @param requestTimeout how long a coordinator waits for the replicas a level needs
 * @param maxValueBytes largest value accepted by a put
 * @param maxTtl longest per-key TTL
 * @param tombstoneTtl how long tombstones and expired values are kept before purging (cluster-wide)
 * @param maxClockOffset how far ahead of this node's wall clock a timestamp it observes may be
 *     before the node refuses to follow it (zero: no limit)
 * @param sweepInterval how often each node purges tombstones and recounts keys
 * @param watchBufferEvents events buffered for a slow watch consumer
 * @param storeDirectory the node's RocksDB directory
 * @param sync whether each write batch is forced to the device before its writes are acknowledged
 * @param hintWindow how long a replica may be unreachable and still get hints
 * @param hintReplayInterval how often hints for reachable replicas are replayed
 * @param gossipInterval how often each node sends its catalog and departed nodes to the others
 * @param repairInterval how often each node repairs every AP keyspace (zero: never by itself)
 * @param repairLeaves hash tree leaves per token range
 * @param scanPageKeys entries per page of a range scan between nodes
 * @param legacyDirectory where the Distributed Data files of earlier versions are imported from
 * @param streamingSettle how long after the read placement changed writes still also go to its
 *     previous replicas
 */
public record ApSettings(
    int defaultReplicationFactor,
    int virtualNodes,
    Consistency defaultConsistency,
    Duration requestTimeout,
    int maxValueBytes,
    Duration maxTtl,
    Duration tombstoneTtl,
    Duration maxClockOffset,
    Duration sweepInterval,
    int watchBufferEvents,
    Path storeDirectory,
    boolean sync,
    Duration hintWindow,
    Duration hintReplayInterval,
    Duration gossipInterval,
    Duration repairInterval,
    int repairLeaves,
    int scanPageKeys,
    Path legacyDirectory,
    Duration streamingSettle) {

  public static ApSettings create(Config config) {
    Config c = config.getConfig("cohort.kv.ap");
    Path dataDir = Path.of(config.getString("cohort.node.data-dir"));
    ApSettings s =
        new ApSettings(
            c.getInt("default-replication-factor"),
            c.getInt("virtual-nodes"),
            Consistency.parse(c.getString("default-consistency"), null),
            c.getDuration("request-timeout"),
            c.getBytes("max-value-bytes").intValue(),
            c.getDuration("max-ttl"),
            c.getDuration("tombstone-ttl"),
            c.getDuration("max-clock-offset"),
            c.getDuration("sweep-interval"),
            c.getInt("watch.buffer-events"),
            directory(dataDir, c.getString("store.directory"), "ap"),
            c.getBoolean("store.sync"),
            c.getDuration("hints.window"),
            c.getDuration("hints.replay-interval"),
            c.getDuration("gossip-interval"),
            c.getDuration("repair.interval"),
            c.getInt("repair.leaves"),
            c.getInt("scan-page-keys"),
            directory(dataDir, c.getString("legacy-ddata-directory"), "ddata"),
            c.getDuration("streaming.settle"));
    s.check();
    return s;
  }

  private static Path directory(Path dataDir, String configured, String fallback) {
    return dataDir.resolve(configured.isEmpty() ? fallback : configured);
  }

  private void check() {
    require(
        defaultReplicationFactor >= 1 && defaultReplicationFactor <= 15,
        "default-replication-factor must be within 1..15");
    require(virtualNodes >= 1 && virtualNodes <= 1024, "virtual-nodes must be within 1..1024");
    require(defaultConsistency != null, "default-consistency must be one, quorum or all");
    require(
        !requestTimeout.isNegative() && !requestTimeout.isZero(),
        "request-timeout must be positive");
    require(
        maxValueBytes >= 1 && maxValueBytes <= 1 << 20, "max-value-bytes must be within 1..1MiB");
    require(maxTtl.toSeconds() >= 1, "max-ttl must be at least 1s");
    require(tombstoneTtl.toMillis() >= 1, "tombstone-ttl must be positive");
    require(!maxClockOffset.isNegative(), "max-clock-offset must not be negative");
    require(sweepInterval.toMillis() >= 1, "sweep-interval must be positive");
    require(watchBufferEvents >= 16, "watch.buffer-events must be at least 16");
    require(!hintWindow.isNegative(), "hints.window must not be negative");
    require(hintReplayInterval.toMillis() >= 1, "hints.replay-interval must be positive");
    require(gossipInterval.toMillis() >= 1, "gossip-interval must be positive");
    require(!repairInterval.isNegative(), "repair.interval must not be negative");
    require(
        repairInterval.isZero() || tombstoneTtl.compareTo(repairInterval) > 0,
        "tombstone-ttl must be longer than repair.interval (a tombstone must reach every replica"
            + " by repair before it is purged)");
    require(repairLeaves >= 2 && repairLeaves <= 4096, "repair.leaves must be within 2..4096");
    require(scanPageKeys >= 1, "scan-page-keys must be positive");
    require(!streamingSettle.isNegative(), "streaming.settle must not be negative");
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException("cohort.kv.ap." + message);
    }
  }
}
