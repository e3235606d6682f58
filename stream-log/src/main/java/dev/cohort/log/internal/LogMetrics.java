package dev.cohort.log.internal;

import dev.cohort.log.TopicPartition;
import dev.cohort.observability.Metrics;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The stream-log metrics of one node. Entities publish their live numbers into node-local maps that
 * the gauges read at scrape time: a partition's offsets and size (and whether its entity is
 * serving), a group's member count and committed offsets. Lag is computed at scrape time from a
 * group's committed offsets and the log end offset of each partition: live for partitions hosted on
 * the same node, and for the others as last fetched by {@link StreamLogImpl} (every {@code
 * cohort.log.group.lag-refresh-interval}). Thread-safe.
 */
public final class LogMetrics implements Extension {

  /** A partition's live numbers, written by its entity only. */
  public static final class PartitionStats {
    volatile long logStartOffset;
    volatile long logEndOffset;
    volatile long sizeBytes;

    /**
     * Whether the entity is not serving: from its start (or its restart with backoff after an
     * exception) until its recovery from the journal completes.
     */
    volatile boolean unavailable = true;
  }

  private static final ExtensionId<LogMetrics> ID =
      new ExtensionId<>() {
        @Override
        public LogMetrics createExtension(ActorSystem<?> system) {
          return new LogMetrics(Metrics.get(system));
        }
      };

  final Counter producedRecords;
  final Counter producedBytes;
  final Counter fetchedRecords;
  final Histogram produceSeconds;
  final Counter rebalances;
  private final Map<TopicPartition, PartitionStats> partitions = new ConcurrentHashMap<>();
  private final Map<String, Integer> groupMembers = new ConcurrentHashMap<>();
  private final Map<String, Map<TopicPartition, Long>> groupCommitted = new ConcurrentHashMap<>();

  /** Log end offsets of partitions hosted on other nodes, as last fetched. */
  private final Map<TopicPartition, Long> remoteLogEndOffsets = new ConcurrentHashMap<>();

  /** Partitions per topic this node knows, set by {@link StreamLogImpl}'s metadata cache. */
  private volatile Supplier<Map<String, Integer>> knownTopics = Map::of;

  private LogMetrics(Metrics metrics) {
    producedRecords =
        metrics.counter(
            "cohort_log_produced_records", "Records appended to partitions on this node", "topic");
    producedBytes =
        metrics.counter(
            "cohort_log_produced_bytes",
            "Batch bytes (as stored, after compression) appended on this node",
            "topic");
    fetchedRecords =
        metrics.counter(
            "cohort_log_fetched_records", "Records returned to consumers on this node", "topic");
    produceSeconds =
        metrics.histogram(
            "cohort_log_produce_seconds",
            "From a produce request reaching its partition to its journal write completing");
    rebalances = metrics.counter("cohort_log_rebalances", "Consumer group rebalances", "group");
    metrics.gauge(
        "cohort_log_partition_log_end_offset",
        "Log end offset of partitions hosted on this node",
        sink -> partitions.forEach((tp, s) -> sink.set(s.logEndOffset, tp.topic(), p(tp))),
        "topic",
        "partition");
    metrics.gauge(
        "cohort_log_partition_log_start_offset",
        "Log start offset of partitions hosted on this node",
        sink -> partitions.forEach((tp, s) -> sink.set(s.logStartOffset, tp.topic(), p(tp))),
        "topic",
        "partition");
    metrics.gauge(
        "cohort_log_partition_size_bytes",
        "Retained batch bytes of partitions hosted on this node",
        sink -> partitions.forEach((tp, s) -> sink.set(s.sizeBytes, tp.topic(), p(tp))),
        "topic",
        "partition");
    // Not Kafka's under-replicated count: Cohort does not replicate partitions (the journal is
    // the replication), so what can be counted is partitions that do not serve.
    metrics.gauge(
        "cohort_log_partitions_not_serving",
        "Partitions hosted on this node whose entity has started but not yet recovered from the"
            + " journal (also while it waits to restart after an exception)",
        sink -> sink.set(partitions.values().stream().filter(s -> s.unavailable).count()));
    metrics.gauge(
        "cohort_log_consumer_group_members",
        "Members of consumer groups coordinated on this node",
        sink -> groupMembers.forEach((g, n) -> sink.set(n, g)),
        "group");
    metrics.gauge(
        "cohort_log_consumer_group_lag",
        "Log end offset minus committed offset, on the node that coordinates the group",
        sink -> lags((group, tp, lag) -> sink.set(lag, group, tp.topic(), p(tp))),
        "group",
        "topic",
        "partition");
    registerKafkaExporterSeries(metrics);
  }

  /**
   * The same numbers under kafka_exporter's names and labels, so that dashboards and alerts built
   * for Kafka work unchanged: {@code kafka_topic_partition_current_offset} and {@code
   * kafka_topic_partition_oldest_offset} (log end and start offset of partitions hosted here),
   * {@code kafka_consumergroup_current_offset} and {@code kafka_consumergroup_lag} (per group
   * coordinated here), {@code kafka_topic_partitions} (topics this node has metadata for).
   */
  private void registerKafkaExporterSeries(Metrics metrics) {
    metrics.gauge(
        "kafka_topic_partition_current_offset",
        "Log end offset of partitions hosted on this node (kafka_exporter's name)",
        sink -> partitions.forEach((tp, s) -> sink.set(s.logEndOffset, tp.topic(), p(tp))),
        "topic",
        "partition");
    metrics.gauge(
        "kafka_topic_partition_oldest_offset",
        "Log start offset of partitions hosted on this node (kafka_exporter's name)",
        sink -> partitions.forEach((tp, s) -> sink.set(s.logStartOffset, tp.topic(), p(tp))),
        "topic",
        "partition");
    metrics.gauge(
        "kafka_consumergroup_current_offset",
        "Committed offset of groups coordinated on this node (kafka_exporter's name)",
        sink ->
            groupCommitted.forEach(
                (group, offsets) ->
                    offsets.forEach(
                        (tp, committed) -> sink.set(committed, group, tp.topic(), p(tp)))),
        "consumergroup",
        "topic",
        "partition");
    metrics.gauge(
        "kafka_consumergroup_lag",
        "Log end offset minus committed offset, on the node that coordinates the group"
            + " (kafka_exporter's name)",
        sink -> lags((group, tp, lag) -> sink.set(lag, group, tp.topic(), p(tp))),
        "consumergroup",
        "topic",
        "partition");
    metrics.gauge(
        "kafka_topic_partitions",
        "Partitions of each topic this node has metadata for (kafka_exporter's name)",
        sink -> knownTopics.get().forEach((topic, n) -> sink.set(n, topic)),
        "topic");
  }

  /** Gives the gauge {@code kafka_topic_partitions} its source: partitions per known topic. */
  void knownTopics(Supplier<Map<String, Integer>> topics) {
    knownTopics = topics;
  }

  /** Every group's lag per partition with a committed offset and a known log end offset. */
  private void lags(LagSink sink) {
    groupCommitted.forEach(
        (group, offsets) ->
            offsets.forEach(
                (tp, committed) -> {
                  PartitionStats stats = partitions.get(tp);
                  Long end = stats != null ? stats.logEndOffset : remoteLogEndOffsets.get(tp);
                  if (end != null) {
                    sink.lag(group, tp, Math.max(0, end - committed));
                  }
                }));
  }

  @FunctionalInterface
  private interface LagSink {
    void lag(String group, TopicPartition tp, long lag);
  }

  private static String p(TopicPartition tp) {
    return Integer.toString(tp.partition());
  }

  public static LogMetrics get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  PartitionStats partition(TopicPartition tp) {
    return partitions.computeIfAbsent(tp, k -> new PartitionStats());
  }

  void partitionStopped(TopicPartition tp) {
    partitions.remove(tp);
  }

  /** Partitions with offsets committed by groups coordinated here that this node does not host. */
  java.util.Set<TopicPartition> committedPartitionsHostedElsewhere() {
    java.util.Set<TopicPartition> elsewhere = new java.util.HashSet<>();
    groupCommitted
        .values()
        .forEach(
            offsets ->
                offsets
                    .keySet()
                    .forEach(
                        tp -> {
                          if (!partitions.containsKey(tp)) {
                            elsewhere.add(tp);
                          }
                        }));
    remoteLogEndOffsets.keySet().retainAll(elsewhere);
    return elsewhere;
  }

  void remoteLogEndOffset(TopicPartition tp, long logEndOffset) {
    remoteLogEndOffsets.put(tp, logEndOffset);
  }

  void group(String groupId, int members, Map<TopicPartition, Long> committed) {
    groupMembers.put(groupId, members);
    groupCommitted.put(groupId, committed);
  }

  void groupStopped(String groupId) {
    groupMembers.remove(groupId);
    groupCommitted.remove(groupId);
  }
}
