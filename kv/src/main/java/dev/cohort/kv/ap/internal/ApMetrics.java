package dev.cohort.kv.ap.internal;

import dev.cohort.kv.ap.Consistency;
import dev.cohort.observability.Metrics;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The AP keyspace metrics of one node. {@code cohort_kv_ap_keys} is the live key count of this
 * node's replica, refreshed by each sweep; every node reports the whole keyspace (each holds a full
 * replica), so take the max over nodes, not the sum. Thread-safe.
 */
final class ApMetrics {
  private final Counter requests;
  private final Histogram requestSeconds;
  private final Counter clockOffsetRejections;
  /** Live keys per bucket id, as of its last sweep. */
  private final Map<String, Integer> keysByBucket = new ConcurrentHashMap<>();

  ApMetrics(Metrics metrics) {
    requests =
        metrics.counter(
            "cohort_kv_ap_requests",
            "AP keyspace requests by keyspace, operation, consistency and outcome (ok or error code)",
            "keyspace", "op", "consistency", "outcome");
    requestSeconds =
        metrics.histogram(
            "cohort_kv_ap_request_seconds", "AP keyspace request latency by consistency",
            "consistency");
    clockOffsetRejections =
        metrics.counter(
            "cohort_kv_ap_clock_offset_rejections",
            "timestamps seen further ahead of this node's wall clock than cohort.kv.ap.max-clock-offset,"
                + " which the node's hybrid logical clock refused to follow");
    metrics.gauge(
        "cohort_kv_ap_keys", "live keys in this node's replica of each AP keyspace",
        sink -> {
          Map<String, Long> sums = new HashMap<>();
          keysByBucket.forEach(
              (bucket, n) -> {
                String keyspace = ApBucketKey.keyspaceOf(bucket);
                if (keyspace != null) {
                  sums.merge(keyspace, (long) n, Long::sum);
                }
              });
          sums.forEach((ks, n) -> sink.set(n, ks));
        },
        "keyspace");
  }

  void request(String keyspace, String op, Consistency consistency, String outcome, long startNanos) {
    String level = consistency == null ? "none" : consistency.wireName();
    requests.labelValues(keyspace, op, level, outcome).inc();
    requestSeconds.labelValues(level).observe((System.nanoTime() - startNanos) / 1e9);
  }

  void clockOffsetRejected() {
    clockOffsetRejections.inc();
  }

  /** Forgets the counts of buckets that no longer exist (a dropped keyspace). */
  void retainBuckets(java.util.Set<String> existing) {
    keysByBucket.keySet().retainAll(existing);
  }

  void keys(String bucketId, int liveKeys) {
    if (liveKeys == 0) {
      keysByBucket.remove(bucketId);
    } else {
      keysByBucket.put(bucketId, liveKeys);
    }
  }
}
