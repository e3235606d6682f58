package dev.cohort.kv.internal;

import dev.cohort.observability.Metrics;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The kv metrics of one node. Gauges report what lives on this node (the partitions and lessors it
 * hosts, the watches its clients opened); Prometheus sums them over the cluster. Thread-safe:
 * entities update their entries from their own threads, scrapes read them.
 */
public final class KvMetrics {
  private static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

  private final Counter requests;
  private final Histogram requestSeconds;
  private final Histogram batchEvents;
  private final Histogram lockWaitSeconds;
  private final Counter txn2pc;
  private final Map<String, KeyCount> keysByPartition = new ConcurrentHashMap<>();
  private final Map<Integer, Integer> leasesByLessor = new ConcurrentHashMap<>();
  private final AtomicInteger watchers = new AtomicInteger();

  private record KeyCount(String keyspace, long keys) {}

  private KvMetrics(Metrics metrics) {
    requests =
        metrics.counter(
            "cohort_kv_requests",
            "kv requests by keyspace, operation and outcome (ok or error code)",
            "keyspace",
            "op",
            "outcome");
    requestSeconds =
        metrics.histogram("cohort_kv_request_seconds", "kv request latency by operation", "op");
    batchEvents =
        metrics.histogram(
            "cohort_kv_journal_batch_events",
            "events written by one kv partition journal write",
            BATCH_BUCKETS);
    lockWaitSeconds =
        metrics.histogram("cohort_kv_lock_wait_seconds", "time from lock request to acquisition");
    txn2pc =
        metrics.counter(
            "cohort_kv_txn_2pc",
            "cross-partition kv transactions decided by their two-phase-commit coordinator on this"
                + " node, by outcome (committed or aborted)",
            "outcome");
    metrics.gauge(
        "cohort_kv_keys",
        "keys held by the kv partitions on this node",
        sink -> {
          Map<String, Long> sums = new HashMap<>();
          keysByPartition.values().forEach(c -> sums.merge(c.keyspace(), c.keys(), Long::sum));
          sums.forEach((ks, n) -> sink.set(n, ks));
        },
        "keyspace");
    metrics.gauge(
        "cohort_kv_leases",
        "live leases held by the lessors on this node",
        sink -> sink.set(leasesByLessor.values().stream().mapToInt(Integer::intValue).sum()));
    metrics.gauge(
        "cohort_kv_watchers", "open watches on this node", sink -> sink.set(watchers.get()));
  }

  // By identity: typed actor systems compare equal by path, and several systems of one name
  // (a cluster in one JVM, a node restarted in the same JVM) share a path.
  private static final Map<ActorSystem<?>, KvMetrics> BY_SYSTEM =
      Collections.synchronizedMap(new IdentityHashMap<>());

  /** The metrics of {@code system}'s node (one instance per actor system). */
  public static KvMetrics get(ActorSystem<?> system) {
    KvMetrics m = BY_SYSTEM.computeIfAbsent(system, s -> new KvMetrics(Metrics.get(s)));
    system.getWhenTerminated().thenRun(() -> BY_SYSTEM.remove(system));
    return m;
  }

  public void request(String keyspace, String op, String outcome, long startNanos) {
    requests.labelValues(keyspace, op, outcome).inc();
    requestSeconds.labelValues(op).observe((System.nanoTime() - startNanos) / 1e9);
  }

  public void batch(int events) {
    batchEvents.observe(events);
  }

  public void lockWait(long startNanos) {
    lockWaitSeconds.observe((System.nanoTime() - startNanos) / 1e9);
  }

  /** A two-phase-commit coordinator journaled its decision: committed or aborted. */
  public void txn2pc(String outcome) {
    txn2pc.labelValues(outcome).inc();
  }

  public void keys(String partitionEntityId, String keyspace, long keys) {
    keysByPartition.put(partitionEntityId, new KeyCount(keyspace, keys));
  }

  public void partitionStopped(String partitionEntityId) {
    keysByPartition.remove(partitionEntityId);
  }

  public void leases(int lessor, int count) {
    leasesByLessor.put(lessor, count);
  }

  public void lessorStopped(int lessor) {
    leasesByLessor.remove(lessor);
  }

  public void watcherOpened() {
    watchers.incrementAndGet();
  }

  public void watcherClosed() {
    watchers.decrementAndGet();
  }
}
