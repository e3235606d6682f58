package dev.cohort.kv.ap.internal;

import dev.cohort.kv.ap.Consistency;
import dev.cohort.observability.Metrics;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The AP keyspace metrics of one node. {@code cohort_kv_ap_keys} counts the live keys in this
 * node's store (its replicas' share), refreshed by each sweep: sum over nodes and divide by the
 * replication factor for the keyspace's size. Thread-safe.
 */
final class ApMetrics {
  private final Counter requests;
  private final Histogram requestSeconds;
  private final Counter clockOffsetRejections;
  private final Counter hints;
  private final Counter readRepairs;
  private final Counter streamedBytes;
  private final Map<String, Long> keysByKeyspace = new ConcurrentHashMap<>();

  /** Keyspace → {ranges done, ranges total} of its running or last repair on this node. */
  private final Map<String, long[]> repairProgress = new ConcurrentHashMap<>();

  ApMetrics(Metrics metrics, LongSupplier hintsPending, LongSupplier storeBytes) {
    requests =
        metrics.counter(
            "cohort_kv_ap_requests",
            "AP keyspace requests this node coordinated, by keyspace, operation, consistency and"
                + " outcome (ok or error code)",
            "keyspace",
            "op",
            "consistency",
            "outcome");
    requestSeconds =
        metrics.histogram(
            "cohort_kv_ap_request_seconds",
            "AP keyspace request latency by consistency",
            "consistency");
    clockOffsetRejections =
        metrics.counter(
            "cohort_kv_ap_clock_offset_rejections",
            "timestamps seen further ahead of this node's wall clock than cohort.kv.ap.max-clock-offset,"
                + " which the node's hybrid logical clock refused to follow");
    hints =
        metrics.counter(
            "cohort_kv_ap_hints",
            "hinted handoff on this coordinator: stored (a replica missed a write), replayed"
                + " (delivered later), dropped (outside hints.window, or the replica left the ring)",
            "outcome");
    readRepairs =
        metrics.counter(
            "cohort_kv_ap_read_repairs",
            "replicas this coordinator sent a newer entry to because a read found them stale");
    streamedBytes =
        metrics.counter(
            "cohort_kv_ap_streaming_bytes",
            "entry bytes this node sent or received in streams: repair (anti-entropy), join (a"
                + " joining node fetching its ranges), leave (a decommissioned node handing its"
                + " ranges over)",
            "stream",
            "direction");
    metrics.gauge(
        "cohort_kv_ap_hints_pending",
        "hints kept on this node for other replicas",
        sink -> sink.set(hintsPending.getAsLong()));
    metrics.gauge(
        "cohort_kv_ap_store_bytes",
        "bytes of this node's AP store: SSTables on disk plus memtables",
        sink -> sink.set(storeBytes.getAsLong()));
    metrics.gauge(
        "cohort_kv_ap_keys",
        "live keys in this node's store per AP keyspace",
        sink -> keysByKeyspace.forEach((ks, n) -> sink.set(n, ks)),
        "keyspace");
    metrics.gauge(
        "cohort_kv_ap_repair_ranges",
        "token ranges of this node's running or last repair, by keyspace and state (done, total)",
        sink ->
            repairProgress.forEach(
                (ks, p) -> {
                  sink.set(p[0], ks, "done");
                  sink.set(p[1], ks, "total");
                }),
        "keyspace",
        "state");
  }

  void request(
      String keyspace, String op, Consistency consistency, String outcome, long startNanos) {
    String level = consistency == null ? "none" : consistency.wireName();
    requests.labelValues(keyspace, op, level, outcome).inc();
    requestSeconds.labelValues(level).observe((System.nanoTime() - startNanos) / 1e9);
  }

  void clockOffsetRejected() {
    clockOffsetRejections.inc();
  }

  void hint(String outcome) {
    hints.labelValues(outcome).inc();
  }

  void readRepair() {
    readRepairs.inc();
  }

  void streamed(String stream, String direction, long bytes) {
    streamedBytes.labelValues(stream, direction).inc(bytes);
  }

  void repairProgress(String keyspace, long done, long total) {
    repairProgress.put(keyspace, new long[] {done, total});
  }

  /** Replaces the live key counts (after a sweep). */
  void keys(Map<String, Long> liveKeys) {
    keysByKeyspace.keySet().retainAll(liveKeys.keySet());
    keysByKeyspace.putAll(liveKeys);
  }
}
