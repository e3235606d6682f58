package dev.cohort.log.internal;

import dev.cohort.log.LogError;
import dev.cohort.log.Producer;
import dev.cohort.log.ProducerIdAndEpoch;
import dev.cohort.log.ProducerRecord;
import dev.cohort.log.ProducerSettings;
import dev.cohort.log.RecordMetadata;
import dev.cohort.log.TopicConfig;
import dev.cohort.log.TopicPartition;
import dev.cohort.observability.Tracing;
import dev.cohort.persistence.Rejection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;

/**
 * Producing behind {@link dev.cohort.log.StreamLog}: the embedded {@link Producer}s (one local
 * {@link ProducerActor} each), one-request sends ({@code send(topic, records)}, one batch per
 * partition) and sequenced sends of an idempotent remote producer ({@code send(topic, partition,
 * producer, baseSequence, records)}) and Kafka record batches appended as they are ({@code
 * appendBatch}).
 *
 * <p>Invariants: records are partitioned as Kafka's default partitioner does; a request is refused
 * whole, before anything is written, when a record names a missing partition or is over {@code
 * max.message.bytes}; with acks 1/all a send completes only after every partition's journal write;
 * a partition that does not know its topic yet (created while it was passivated) is configured once
 * and asked again. Thread-safe.
 */
final class ProduceClient {
  private final EntityAsks asks;
  private final TopicMetadataCache metadata;
  private final TopicAdmin admin;
  private final LogSettings settings;
  private final AtomicLong producerCount = new AtomicLong();
  private final RecordTracing tracing;

  ProduceClient(EntityAsks asks, TopicMetadataCache metadata, TopicAdmin admin) {
    this.asks = asks;
    this.metadata = metadata;
    this.admin = admin;
    this.settings = asks.settings();
    this.tracing = new RecordTracing(Tracing.get(asks.system()));
  }

  /** A producer over {@code transport} (tests inject faults there). */
  Producer producer(ProducerSettings producerSettings, ProduceTransport transport) {
    ActorRef<ProducerActor.Command> actor =
        asks.system()
            .systemActorOf(
                ProducerActor.create(
                    producerSettings, transport, metadata::metadata, settings.metadataMaxAge()),
                "log-producer-" + producerCount.incrementAndGet(),
                Props.empty());
    return new ProducerImpl(actor, producerSettings);
  }

  /** The real transport: an ask to the partition entity through Cluster Sharding. */
  ProduceTransport shardingTransport() {
    return (tp, command, timeout) -> asks.askPartition(tp, command::apply, timeout);
  }

  CompletionStage<List<RecordMetadata>> send(
      String topic, List<ProducerRecord> records, ProducerSettings.Acks acks) {
    if (records == null || records.isEmpty()) {
      return EntityAsks.failed(
          LogError.INVALID_REQUEST, "a produce request needs at least one record");
    }
    RecordTracing.Produce span = tracing.startProduce(topic, records.size());
    List<ProducerRecord> copy = RecordTracing.withHeaders(records, span);
    CompletableFuture<List<RecordMetadata>> written =
        metadata.metadata(topic).thenCompose(meta -> sendBatches(meta, copy));
    written.whenComplete((done, failure) -> RecordTracing.end(span, failure));
    if (acks != ProducerSettings.Acks.NONE) {
      return written;
    }
    long now = System.currentTimeMillis();
    List<RecordMetadata> unknown = new ArrayList<>();
    for (ProducerRecord r : copy) {
      unknown.add(
          new RecordMetadata(
              topic,
              r.partition() == null ? -1 : r.partition(),
              -1,
              r.timestamp() == null ? now : r.timestamp()));
    }
    return CompletableFuture.completedFuture(List.copyOf(unknown));
  }

  private CompletableFuture<List<RecordMetadata>> sendBatches(
      TopicRegistry.TopicMetadata meta, List<ProducerRecord> records) {
    int sticky = ThreadLocalRandom.current().nextInt(meta.partitions());
    Map<Integer, List<Integer>> byPartition = new TreeMap<>();
    for (int i = 0; i < records.size(); i++) {
      ProducerRecord r = records.get(i);
      int p =
          r.partition() != null
              ? r.partition()
              : r.key() != null ? Partitioners.partitionForKey(r.key(), meta.partitions()) : sticky;
      Rejection bad = checkRecord(meta, p, i, r);
      if (bad != null) {
        return EntityAsks.failed(bad);
      }
      byPartition.computeIfAbsent(p, k -> new ArrayList<>()).add(i);
    }
    long now = System.currentTimeMillis();
    RecordMetadata[] out = new RecordMetadata[records.size()];
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (Map.Entry<Integer, List<Integer>> e : byPartition.entrySet()) {
      List<ProducerRecord> batch = e.getValue().stream().map(records::get).toList();
      long[] timestamps = timestamps(batch, now);
      TopicPartition tp = new TopicPartition(meta.name(), e.getKey());
      all.add(
          produceRepairing(meta, tp, encode(meta, batch, timestamps), -1, 0, 0, true)
              .thenAccept(
                  appended -> {
                    List<RecordMetadata> written = written(tp, appended, timestamps);
                    for (int k = 0; k < written.size(); k++) {
                      out[e.getValue().get(k)] = written.get(k);
                    }
                  }));
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .thenApply(v -> List.of(out));
  }

  /**
   * Appends one Kafka record batch as it is (see {@link dev.cohort.log.StreamLog#appendBatch}): the
   * batch is checked here, its producer fields read from its header; the partition checks them and
   * assigns the offsets. Trace headers are not added (the bytes are the client's); the produce span
   * still runs.
   */
  CompletionStage<RecordMetadata> appendBatch(
      String topic, int partition, byte[] bytes, ProducerSettings.Acks acks) {
    boolean header = bytes != null && bytes.length >= KafkaBatch.HEADER_BYTES;
    int declared = header ? new KafkaBatch(bytes).recordCount() : 0;
    RecordTracing.Produce span = tracing.startProduce(topic, declared);
    CompletableFuture<RecordMetadata> written =
        metadata
            .metadata(topic)
            .thenCompose(
                meta -> {
                  if (partition < 0 || partition >= meta.partitions()) {
                    return EntityAsks.failed(unknownPartition(meta, partition));
                  }
                  KafkaBatches.Encoded encoded =
                      KafkaBatches.inTopicCodec(
                          KafkaBatches.produced(bytes, meta.config().cleanupPolicy().compacts()),
                          meta.config().compressionType());
                  var fields = KafkaBatches.header(encoded);
                  long producerId = fields.hasProducerId() ? fields.producerId() : -1;
                  if (producerId >= 0 && acks == ProducerSettings.Acks.NONE) {
                    return EntityAsks.failed(
                        LogError.INVALID_REQUEST, "an idempotent batch needs acks=1 or acks=all");
                  }
                  TopicPartition tp = new TopicPartition(meta.name(), partition);
                  return produceRepairing(
                          meta,
                          tp,
                          encoded,
                          producerId,
                          fields.producerEpoch(),
                          fields.baseSequence(),
                          true)
                      .thenApply(
                          a ->
                              new RecordMetadata(
                                  topic, partition, a.baseOffset(), a.logAppendTime()));
                });
    written.whenComplete((done, failure) -> RecordTracing.end(span, failure));
    if (acks != ProducerSettings.Acks.NONE) {
      return written;
    }
    return CompletableFuture.completedFuture(new RecordMetadata(topic, partition, -1, -1));
  }

  CompletionStage<ProducerIdAndEpoch> initProducerId(ProducerIdAndEpoch current) {
    return CompletableFuture.completedFuture(ProducerIds.init(current));
  }

  CompletionStage<List<RecordMetadata>> send(
      String topic,
      int partition,
      ProducerIdAndEpoch producer,
      int baseSequence,
      List<ProducerRecord> records) {
    CompletableFuture<List<RecordMetadata>> malformed =
        checkSequenced(partition, producer, baseSequence, records);
    if (malformed != null) {
      return malformed;
    }
    RecordTracing.Produce span = tracing.startProduce(topic, records.size());
    List<ProducerRecord> copy = RecordTracing.withHeaders(records, span);
    CompletionStage<List<RecordMetadata>> sent =
        metadata
            .metadata(topic)
            .thenCompose(
                meta -> {
                  for (int i = 0; i < copy.size(); i++) {
                    Rejection bad = checkRecord(meta, partition, i, copy.get(i));
                    if (bad != null) {
                      return EntityAsks.failed(bad);
                    }
                  }
                  long[] timestamps = timestamps(copy, System.currentTimeMillis());
                  TopicPartition tp = new TopicPartition(meta.name(), partition);
                  return produceRepairing(
                          meta,
                          tp,
                          encode(meta, copy, timestamps),
                          producer.producerId(),
                          producer.epoch(),
                          baseSequence,
                          true)
                      .thenApply(appended -> written(tp, appended, timestamps));
                });
    sent.whenComplete((done, failure) -> RecordTracing.end(span, failure));
    return sent;
  }

  /** A failed future when a sequenced batch is malformed; null when it is well formed. */
  private static <T> CompletableFuture<T> checkSequenced(
      int partition, ProducerIdAndEpoch producer, int baseSequence, List<ProducerRecord> records) {
    if (records == null || records.isEmpty()) {
      return EntityAsks.failed(
          LogError.INVALID_REQUEST, "a produce request needs at least one record");
    }
    if (producer == null) {
      return EntityAsks.failed(
          LogError.INVALID_REQUEST, "an idempotent batch needs a producer id and epoch");
    }
    // The partition numbers the batch's last record baseSequence + count - 1 in an int.
    if (baseSequence < 0 || (long) baseSequence + records.size() - 1 > Integer.MAX_VALUE) {
      return EntityAsks.failed(
          LogError.INVALID_REQUEST,
          "baseSequence must be at least 0 and leave room for "
              + records.size()
              + " records below 2^31; got "
              + baseSequence
              + " (start a new epoch at 0)");
    }
    for (int i = 0; i < records.size(); i++) {
      Integer named = records.get(i).partition();
      if (named != null && named != partition) {
        return EntityAsks.failed(
            LogError.INVALID_REQUEST,
            "record "
                + i
                + " names partition "
                + named
                + " but the batch goes to partition "
                + partition
                + ": a sequenced batch has one partition");
      }
    }
    return null;
  }

  /** Why record {@code i}, bound for {@code partition}, cannot be sent; null when it can. */
  private static Rejection checkRecord(
      TopicRegistry.TopicMetadata meta, int partition, int i, ProducerRecord r) {
    if (partition < 0 || partition >= meta.partitions()) {
      return unknownPartition(meta, partition);
    }
    int limit = meta.config().maxMessageBytes() - KafkaBatch.HEADER_BYTES;
    if (KafkaBatches.estimateSize(r.key(), r.value(), r.headers()) > limit) {
      return LogError.RECORD_TOO_LARGE.rejection(
          "record "
              + i
              + " is over max.message.bytes = "
              + meta.config().maxMessageBytes()
              + " of topic '"
              + meta.name()
              + "'");
    }
    return null;
  }

  /** The refusal of a send to a partition {@code meta}'s topic does not have. */
  static Rejection unknownPartition(TopicRegistry.TopicMetadata meta, int partition) {
    return LogError.UNKNOWN_TOPIC_OR_PARTITION.rejection(
        "topic '"
            + meta.name()
            + "' has "
            + meta.partitions()
            + " partitions; partition "
            + partition
            + " does not exist");
  }

  private static long[] timestamps(List<ProducerRecord> batch, long now) {
    long[] timestamps = new long[batch.size()];
    for (int k = 0; k < timestamps.length; k++) {
      Long ts = batch.get(k).timestamp();
      timestamps[k] = ts != null ? ts : now;
    }
    return timestamps;
  }

  /** One batch in the topic's codec ("producer": the node's default producer codec). */
  private KafkaBatches.Encoded encode(
      TopicRegistry.TopicMetadata meta, List<ProducerRecord> batch, long[] timestamps) {
    TopicConfig.CompressionType codec = meta.config().compressionType();
    if (codec == TopicConfig.CompressionType.PRODUCER) {
      codec = settings.producer().compressionType();
    }
    KafkaBatches.Builder builder = new KafkaBatches.Builder();
    for (int k = 0; k < batch.size(); k++) {
      ProducerRecord r = batch.get(k);
      builder.add(r.key(), r.value(), r.headers(), timestamps[k]);
    }
    return builder.build(codec);
  }

  /** Where each record of an appended batch was written, in batch order. */
  private static List<RecordMetadata> written(
      TopicPartition tp, PartitionEntity.Appended appended, long[] timestamps) {
    List<RecordMetadata> out = new ArrayList<>(timestamps.length);
    for (int k = 0; k < timestamps.length; k++) {
      long ts = appended.logAppendTime() >= 0 ? appended.logAppendTime() : timestamps[k];
      out.add(new RecordMetadata(tp.topic(), tp.partition(), appended.baseOffset() + k, ts));
    }
    return out;
  }

  /**
   * Asks the partition to append one batch ({@code producerId} -1: without idempotence); a
   * partition that does not know the topic yet (created while it was passivated) is configured once
   * and asked again.
   */
  private CompletableFuture<PartitionEntity.Appended> produceRepairing(
      TopicRegistry.TopicMetadata meta,
      TopicPartition tp,
      KafkaBatches.Encoded encoded,
      long producerId,
      int producerEpoch,
      int baseSequence,
      boolean repair) {
    return asks.askPartition(
            tp,
            replyTo ->
                new PartitionEntity.Produce(
                    meta.topicId(), producerId, producerEpoch, baseSequence, encoded, replyTo),
            settings.askTimeout())
        .thenCompose(
            reply ->
                switch (reply) {
                  case PartitionEntity.Appended a -> CompletableFuture.completedFuture(a);
                  case PartitionEntity.Rejected r
                      when repair && r.rejection().is(LogError.UNKNOWN_TOPIC_OR_PARTITION) ->
                      admin
                          .configure(meta, tp.partition())
                          .thenCompose(
                              s ->
                                  produceRepairing(
                                      meta,
                                      tp,
                                      encoded,
                                      producerId,
                                      producerEpoch,
                                      baseSequence,
                                      false));
                  case PartitionEntity.Rejected r -> EntityAsks.failed(r.rejection());
                  default ->
                      CompletableFuture.failedFuture(
                          new IllegalStateException("unexpected " + reply));
                });
  }
}
