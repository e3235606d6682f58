package dev.cohort.kafka.internal;

import dev.cohort.kafka.internal.ProducedBatches.Batch;
import dev.cohort.kafka.internal.ProducedBatches.InvalidBatch;
import dev.cohort.log.ProducerIdAndEpoch;
import dev.cohort.log.ProducerSettings;
import dev.cohort.log.RecordMetadata;
import dev.cohort.log.StreamLog;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceRequestData.PartitionProduceData;
import org.apache.kafka.common.message.ProduceRequestData.TopicProduceData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.message.ProduceResponseData.TopicProduceResponse;
import org.apache.kafka.common.message.ProduceResponseData.TopicProduceResponseCollection;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;

/**
 * Produce and InitProducerId. A partition's batches are checked ({@link ProducedBatches}: magic,
 * CRC, records) and appended to its partition entity as they are ({@code StreamLog.appendBatch}),
 * never decoded: the partition assigns their offsets and stores the bytes, and for a batch with a
 * producer id applies the stream-log's producer id, epoch and sequence checks (a retried batch is
 * answered with its first offsets). Partitions of one request are written in parallel, the batches
 * of one partition in order; acks=0 requests get no answer, as in Kafka.
 */
final class ProduceApi {
  private final StreamLog log;
  private final Leadership leadership;

  ProduceApi(StreamLog log, Leadership leadership) {
    this.log = log;
    this.leadership = leadership;
  }

  CompletionStage<ProduceResponseData> produce(ProduceRequestData request) {
    if (request.transactionalId() != null) {
      return CompletableFuture.completedFuture(
          errorForAll(
              request,
              Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
              "Cohort does not support Kafka transactions"));
    }
    ProducerSettings.Acks acks =
        switch (request.acks()) {
          case 0 -> ProducerSettings.Acks.NONE;
          case 1 -> ProducerSettings.Acks.LEADER;
          default -> ProducerSettings.Acks.ALL;
        };
    List<CompletableFuture<TopicProduceResponse>> topics = new ArrayList<>();
    for (TopicProduceData topic : request.topicData()) {
      List<CompletableFuture<PartitionProduceResponse>> partitions = new ArrayList<>();
      for (PartitionProduceData p : topic.partitionData()) {
        partitions.add(
            leadership
                .check(topic.name(), p.index())
                .thenCompose(
                    lead ->
                        lead == Errors.NONE
                            ? partition(topic.name(), p, acks)
                            : CompletableFuture.completedFuture(
                                failed(p.index(), lead, "this node does not host the partition")))
                .toCompletableFuture());
      }
      topics.add(
          CompletableFuture.allOf(partitions.toArray(CompletableFuture[]::new))
              .thenApply(
                  ignored ->
                      new TopicProduceResponse()
                          .setName(topic.name())
                          .setPartitionResponses(
                              partitions.stream().map(CompletableFuture::join).toList())));
    }
    CompletableFuture<ProduceResponseData> response =
        CompletableFuture.allOf(topics.toArray(CompletableFuture[]::new))
            .thenApply(
                ignored -> {
                  TopicProduceResponseCollection collection = new TopicProduceResponseCollection();
                  topics.forEach(t -> collection.add(t.join()));
                  return new ProduceResponseData().setResponses(collection);
                });
    return acks == ProducerSettings.Acks.NONE ? response.handle((r, e) -> null) : response;
  }

  private CompletionStage<PartitionProduceResponse> partition(
      String topic, PartitionProduceData data, ProducerSettings.Acks acks) {
    List<Batch> batches;
    try {
      if (!(data.records() instanceof MemoryRecords records)) {
        throw new InvalidBatch(Errors.INVALID_RECORD, "records missing");
      }
      batches = ProducedBatches.check(records);
      if (batches.isEmpty()) {
        throw new InvalidBatch(Errors.INVALID_RECORD, "a produce request without record batches");
      }
    } catch (InvalidBatch e) {
      return CompletableFuture.completedFuture(failed(data.index(), e.error, e.getMessage()));
    }
    CompletionStage<RecordMetadata> chain = CompletableFuture.completedFuture(null);
    List<RecordMetadata> first = new ArrayList<>();
    for (Batch batch : batches) {
      chain =
          chain
              .thenCompose(ignored -> send(topic, data.index(), batch, acks))
              .thenApply(
                  written -> {
                    if (first.isEmpty()) {
                      first.add(written);
                    }
                    return written;
                  });
    }
    return chain.handle(
        (ignored, failure) -> {
          if (failure != null) {
            return failed(data.index(), KafkaErrors.of(failure), KafkaErrors.message(failure));
          }
          return new PartitionProduceResponse()
              .setIndex(data.index())
              .setErrorCode(Errors.NONE.code())
              .setBaseOffset(first.isEmpty() ? -1 : first.getFirst().offset())
              .setLogAppendTimeMs(first.isEmpty() ? -1 : first.getFirst().timestamp())
              .setLogStartOffset(-1);
        });
  }

  private CompletionStage<RecordMetadata> send(
      String topic, int partition, Batch batch, ProducerSettings.Acks acks) {
    if (batch.idempotent() && acks == ProducerSettings.Acks.NONE) {
      return CompletableFuture.failedFuture(
          new InvalidBatch(
              Errors.INVALID_REQUIRED_ACKS, "idempotent batches need acks=1 or acks=all"));
    }
    return log.appendBatch(topic, partition, batch.bytes(), acks);
  }

  private static PartitionProduceResponse failed(int partition, Errors error, String message) {
    return new PartitionProduceResponse()
        .setIndex(partition)
        .setErrorCode(error.code())
        .setErrorMessage(message)
        .setBaseOffset(-1)
        .setLogAppendTimeMs(-1)
        .setLogStartOffset(-1);
  }

  private static ProduceResponseData errorForAll(
      ProduceRequestData request, Errors error, String message) {
    TopicProduceResponseCollection collection = new TopicProduceResponseCollection();
    for (TopicProduceData topic : request.topicData()) {
      collection.add(
          new TopicProduceResponse()
              .setName(topic.name())
              .setPartitionResponses(
                  topic.partitionData().stream()
                      .map(p -> failed(p.index(), error, message))
                      .toList()));
    }
    return new ProduceResponseData().setResponses(collection);
  }

  /**
   * A new producer id with epoch 0, or with a producer's current id and epoch the same id with the
   * next epoch (KIP-360). Kafka epochs are 16-bit: past that the producer gets a new id.
   */
  CompletionStage<InitProducerIdResponseData> initProducerId(InitProducerIdRequestData request) {
    if (request.transactionalId() != null) {
      return CompletableFuture.completedFuture(
          new InitProducerIdResponseData()
              .setErrorCode(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.code())
              .setProducerId(-1)
              .setProducerEpoch((short) -1));
    }
    ProducerIdAndEpoch current =
        request.producerId() >= 0 && request.producerEpoch() >= 0
            ? new ProducerIdAndEpoch(request.producerId(), request.producerEpoch())
            : null;
    return log.initProducerId(current)
        .thenCompose(
            next ->
                next.epoch() >= Short.MAX_VALUE
                    ? log.initProducerId(null)
                    : CompletableFuture.completedFuture(next))
        .thenApply(
            next ->
                new InitProducerIdResponseData()
                    .setProducerId(next.producerId())
                    .setProducerEpoch((short) next.epoch()));
  }
}
