package dev.cohort.log.internal;

import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.ConsumerSettings;
import dev.cohort.log.FetchResult;
import dev.cohort.log.FetchedBatches;
import dev.cohort.log.LogError;
import dev.cohort.log.LogException;
import dev.cohort.log.TopicPartition;
import dev.cohort.observability.Tracing;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Fetching behind {@link dev.cohort.log.StreamLog} (Kafka's fetcher): one fetch from a partition,
 * long-polling at the log end, decoded into records; where a consumer without a valid position
 * starts ({@code auto.offset.reset}); and the backpressured {@link Source} of a partition.
 *
 * <p>Invariants: a fetch returns at most {@code max.poll.records} records, from the requested
 * offset on, and the offset to fetch next; its wait is capped by {@code max-fetch-wait} and its ask
 * waits that long plus {@code ask-timeout}. Batches stay compressed until decoded here, on the
 * caller's side; {@link #fetchBatches} hands them over as stored, never decoded and re-encoded.
 * Thread-safe (no state of its own).
 */
final class FetchClient {
  private final EntityAsks asks;
  private final TopicMetadataCache metadata;
  private final TopicAdmin admin;
  private final LogSettings settings;
  private final LogMetrics metrics;
  private final RecordTracing tracing;

  FetchClient(EntityAsks asks, TopicMetadataCache metadata, TopicAdmin admin) {
    this.asks = asks;
    this.metadata = metadata;
    this.admin = admin;
    this.settings = asks.settings();
    this.metrics = LogMetrics.get(asks.system());
    this.tracing = new RecordTracing(Tracing.get(asks.system()));
  }

  CompletableFuture<FetchResult> fetch(
      String topic, int partition, long offset, ConsumerSettings consumer, Duration maxWait) {
    TopicPartition tp = new TopicPartition(topic, partition);
    return ask(tp, offset, consumer.fetchMaxBytes(), consumer.maxPollRecords(), maxWait)
        .thenCompose(reply -> decode(tp, offset, consumer.maxPollRecords(), reply));
  }

  /**
   * Whole stored batches from {@code offset}, not decoded (a single batch is handed over without a
   * copy); records are decoded here only when tracing is on, for the fetch span's links.
   */
  CompletableFuture<FetchedBatches> fetchBatches(
      String topic, int partition, long offset, int maxBytes, Duration maxWait) {
    TopicPartition tp = new TopicPartition(topic, partition);
    return ask(tp, offset, maxBytes, Integer.MAX_VALUE, maxWait)
        .thenCompose(
            reply -> {
              if (reply instanceof PartitionEntity.Rejected r) {
                return EntityAsks.failed(r.rejection());
              }
              PartitionEntity.Fetched fetched = (PartitionEntity.Fetched) reply;
              List<KafkaBatch> batches = fetched.batches();
              long records = 0;
              for (KafkaBatch b : batches) {
                long from = Math.max(offset, b.baseOffset());
                records += Math.max(0, Math.min(b.recordCount(), b.lastOffset() - from + 1));
              }
              if (records > 0) {
                metrics.fetchedRecords.labelValues(topic).inc(records);
              }
              if (tracing.enabled()) {
                List<ConsumerRecord> decoded = new ArrayList<>();
                for (KafkaBatch b : batches) {
                  decoded.addAll(
                      KafkaBatches.decode(topic, partition, b, offset, Integer.MAX_VALUE));
                }
                tracing.fetched(topic, decoded);
              }
              return CompletableFuture.completedFuture(
                  new FetchedBatches(
                      concatenate(batches),
                      fetched.highWatermark(),
                      fetched.logStartOffset(),
                      fetched.nextOffset()));
            });
  }

  private static ByteBuffer concatenate(List<KafkaBatch> batches) {
    if (batches.size() == 1) {
      return ByteBuffer.wrap(batches.getFirst().bytes()).asReadOnlyBuffer();
    }
    long size = 0;
    for (KafkaBatch b : batches) {
      size += b.sizeBytes();
    }
    ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(size));
    for (KafkaBatch b : batches) {
      out.put(b.bytes());
    }
    return out.flip().asReadOnlyBuffer();
  }

  /** Asks the partition for batches from {@code offset}, once its topic and partition exist. */
  private CompletableFuture<PartitionEntity.Reply> ask(
      TopicPartition tp, long offset, int maxBytes, int maxRecords, Duration maxWait) {
    return metadata
        .metadata(tp.topic())
        .thenCompose(
            meta -> {
              if (tp.partition() < 0 || tp.partition() >= meta.partitions()) {
                return EntityAsks.failed(
                    LogError.UNKNOWN_TOPIC_OR_PARTITION.rejection(
                        "topic '"
                            + tp.topic()
                            + "' has "
                            + meta.partitions()
                            + " partitions; partition "
                            + tp.partition()
                            + " does not exist"));
              }
              long wait = Math.min(maxWait.toMillis(), settings.maxFetchWait().toMillis());
              return asks.askPartition(
                  tp,
                  replyTo -> new PartitionEntity.Fetch(offset, maxBytes, maxRecords, wait, replyTo),
                  settings.askTimeout().plusMillis(wait));
            });
  }

  private CompletableFuture<FetchResult> decode(
      TopicPartition tp, long offset, int maxRecords, PartitionEntity.Reply reply) {
    if (reply instanceof PartitionEntity.Rejected r) {
      return EntityAsks.failed(r.rejection());
    }
    PartitionEntity.Fetched fetched = (PartitionEntity.Fetched) reply;
    List<ConsumerRecord> records = new ArrayList<>();
    long next = fetched.nextOffset();
    for (KafkaBatch batch : fetched.batches()) {
      records.addAll(
          KafkaBatches.decode(
              tp.topic(), tp.partition(), batch, offset, maxRecords - records.size()));
      if (records.size() >= maxRecords) {
        next = records.getLast().offset() + 1;
        break;
      }
    }
    if (!records.isEmpty()) {
      metrics.fetchedRecords.labelValues(tp.topic()).inc(records.size());
      tracing.fetched(tp.topic(), records);
    }
    return CompletableFuture.completedFuture(
        new FetchResult(
            List.copyOf(records), fetched.highWatermark(), fetched.logStartOffset(), next));
  }

  /** Where a consumer without a valid position starts, by {@code auto.offset.reset}. */
  CompletableFuture<Long> resetOffset(TopicPartition tp, ConsumerSettings consumer, long wanted) {
    return switch (consumer.autoOffsetReset()) {
      case EARLIEST -> admin.offsets(tp).thenApply(o -> o[0]);
      case LATEST -> admin.offsets(tp).thenApply(o -> o[1]);
      case NONE ->
          CompletableFuture.failedFuture(
              LogError.OFFSET_OUT_OF_RANGE.exception(
                  "no valid position " + wanted + " for " + tp + " and auto.offset.reset = none"));
    };
  }

  /** The records of a partition from {@code offset} (negative: by auto.offset.reset). */
  Source<ConsumerRecord, NotUsed> source(
      String topic, int partition, long offset, ConsumerSettings consumer) {
    TopicPartition tp = new TopicPartition(topic, partition);
    return Source.unfoldAsync(
            offset,
            position ->
                start(tp, consumer, position)
                    .thenCompose(from -> fetchOrReset(tp, from, consumer))
                    .thenApply(r -> Optional.of(Pair.create(r.nextOffset(), r.records()))))
        .mapConcat(records -> records);
  }

  private CompletableFuture<Long> start(TopicPartition tp, ConsumerSettings consumer, long at) {
    return at < 0 ? resetOffset(tp, consumer, at) : CompletableFuture.completedFuture(at);
  }

  /** A fetch from {@code from}; outside the log, a fetch from where auto.offset.reset says. */
  private CompletableFuture<FetchResult> fetchOrReset(
      TopicPartition tp, long from, ConsumerSettings consumer) {
    return fetch(tp.topic(), tp.partition(), from, consumer, consumer.fetchMaxWait())
        .exceptionallyCompose(
            failure -> {
              Throwable cause = EntityAsks.translate(failure, tp.toString());
              if (cause instanceof LogException le && le.is(LogError.OFFSET_OUT_OF_RANGE)) {
                Duration wait = consumer.fetchMaxWait();
                return resetOffset(tp, consumer, from)
                    .thenCompose(reset -> fetch(tp.topic(), tp.partition(), reset, consumer, wait));
              }
              return CompletableFuture.failedFuture(cause);
            });
  }
}
