package dev.cohort.kafka.internal;

import dev.cohort.kafka.KafkaSettings;
import dev.cohort.log.ConsumerSettings;
import dev.cohort.log.FetchedBatches;
import dev.cohort.log.StreamLog;
import dev.cohort.log.TopicDescription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsPartition;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsTopic;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsPartitionResponse;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsTopicResponse;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.ListOffsetsRequest;

/**
 * Fetch and ListOffsets. A fetch answers with the partition's stored record batches as they are
 * ({@code StreamLog.fetchBatches}: Kafka's v2 batches, never decoded and re-encoded). It first
 * reads every requested partition without waiting; if that gives fewer than {@code min.bytes} and
 * {@code max.wait.ms} is above 0, it long-polls every partition at once and answers as soon as one
 * of them has records (with whatever the others have by then) or when the wait ends. Reads stay
 * within {@code partition.max.bytes} per partition and {@code max.bytes} overall, except that the
 * first batch is always returned whole (as Kafka does). Fetch sessions (KIP-227) are not kept:
 * every answer has session id 0, so clients send full fetch requests. Reads are read_uncommitted;
 * there are no transactions, so the last stable offset is the high watermark.
 */
final class FetchApi {
  private final StreamLog log;
  private final Duration maxFetchWait;
  private final ConsumerSettings base;

  private final Leadership leadership;

  FetchApi(StreamLog log, KafkaSettings settings, Leadership leadership) {
    this.log = log;
    this.leadership = leadership;
    this.maxFetchWait = settings.maxFetchWait();
    this.base = log.consumerSettings();
  }

  private record Slot(String topic, FetchPartition partition) {}

  CompletionStage<FetchResponseData> fetch(FetchRequestData request) {
    if (request.sessionId() != 0) {
      return CompletableFuture.completedFuture(
          new FetchResponseData().setErrorCode(Errors.FETCH_SESSION_ID_NOT_FOUND.code()));
    }
    List<Slot> slots = new ArrayList<>();
    for (FetchTopic topic : request.topics()) {
      for (FetchPartition p : topic.partitions()) {
        slots.add(new Slot(topic.topic(), p));
      }
    }
    int maxBytes = request.maxBytes() <= 0 ? Integer.MAX_VALUE : request.maxBytes();
    return readAll(slots, maxBytes, Duration.ZERO, false)
        .thenCompose(
            first -> {
              long bytes = first.values().stream().mapToLong(FetchApi::size).sum();
              long waitMs = Math.min(request.maxWaitMs(), maxFetchWait.toMillis());
              if (bytes >= Math.max(1, request.minBytes())
                  || waitMs <= 0
                  || slots.isEmpty()
                  || first.values().stream().allMatch(p -> p.errorCode() != 0)) {
                return CompletableFuture.completedFuture(first);
              }
              return readAll(slots, maxBytes, Duration.ofMillis(waitMs), true)
                  .thenApply(
                      second -> {
                        Map<Slot, PartitionData> merged = new LinkedHashMap<>(first);
                        second.forEach(
                            (slot, data) -> {
                              if (data != null) {
                                merged.put(slot, data);
                              }
                            });
                        return merged;
                      });
            })
        .thenApply(this::response);
  }

  /**
   * Reads every slot with {@code wait}. Without {@code firstWins} it completes when all reads did;
   * with it, as soon as one read returns records (slots not yet answered map to null) or all did.
   */
  private CompletableFuture<Map<Slot, PartitionData>> readAll(
      List<Slot> slots, int maxBytes, Duration wait, boolean firstWins) {
    Map<Slot, CompletableFuture<PartitionData>> reads = new LinkedHashMap<>();
    int budget = maxBytes;
    for (Slot slot : slots) {
      int partitionMax = Math.max(1, Math.min(slot.partition().partitionMaxBytes(), budget));
      reads.put(slot, read(slot, partitionMax, wait));
    }
    CompletableFuture<Map<Slot, PartitionData>> result = new CompletableFuture<>();
    AtomicBoolean answered = new AtomicBoolean();
    Runnable answer =
        () -> {
          if (answered.compareAndSet(false, true)) {
            Map<Slot, PartitionData> out = new LinkedHashMap<>();
            reads.forEach((slot, f) -> out.put(slot, f.isDone() ? f.join() : null));
            result.complete(limit(out, maxBytes));
          }
        };
    CompletableFuture.allOf(reads.values().toArray(CompletableFuture[]::new))
        .whenComplete((ignored, e) -> answer.run());
    if (firstWins) {
      reads
          .values()
          .forEach(
              f ->
                  f.thenAccept(
                      d -> {
                        if (size(d) > 0) {
                          answer.run();
                        }
                      }));
    }
    return result;
  }

  /** Drops records of later partitions once {@code maxBytes} is used up (the first stays whole). */
  private static Map<Slot, PartitionData> limit(Map<Slot, PartitionData> reads, int maxBytes) {
    long used = 0;
    for (Map.Entry<Slot, PartitionData> e : reads.entrySet()) {
      PartitionData d = e.getValue();
      if (d == null) {
        continue;
      }
      int size = size(d);
      if (used > 0 && used + size > maxBytes) {
        d.setRecords(MemoryRecords.EMPTY);
      } else {
        used += size;
      }
    }
    return reads;
  }

  private CompletableFuture<PartitionData> read(Slot slot, int partitionMaxBytes, Duration wait) {
    FetchPartition p = slot.partition();
    return leadership
        .check(slot.topic(), p.partition())
        .thenCompose(
            lead ->
                lead == Errors.NONE
                    ? log.fetchBatches(
                            slot.topic(), p.partition(), p.fetchOffset(), partitionMaxBytes, wait)
                        .thenApply(result -> data(p.partition(), result))
                    : CompletableFuture.completedFuture(error(p.partition(), lead)))
        .exceptionally(e -> error(p.partition(), KafkaErrors.of(e)))
        .toCompletableFuture();
  }

  private static PartitionData error(int partition, Errors error) {
    return new PartitionData()
        .setPartitionIndex(partition)
        .setErrorCode(error.code())
        .setHighWatermark(-1)
        .setLastStableOffset(-1)
        .setLogStartOffset(-1)
        .setRecords(MemoryRecords.EMPTY);
  }

  private static PartitionData data(int partition, FetchedBatches result) {
    return new PartitionData()
        .setPartitionIndex(partition)
        .setErrorCode(Errors.NONE.code())
        .setHighWatermark(result.highWatermark())
        .setLastStableOffset(result.highWatermark())
        .setLogStartOffset(result.logStartOffset())
        .setRecords(MemoryRecords.readableRecords(result.records()));
  }

  private static int size(PartitionData data) {
    return data == null || data.records() == null ? 0 : data.records().sizeInBytes();
  }

  private FetchResponseData response(Map<Slot, PartitionData> partitions) {
    Map<String, FetchableTopicResponse> topics = new LinkedHashMap<>();
    partitions.forEach(
        (slot, data) ->
            topics
                .computeIfAbsent(
                    slot.topic(),
                    t -> new FetchableTopicResponse().setTopic(t).setPartitions(new ArrayList<>()))
                .partitions()
                .add(data));
    return new FetchResponseData()
        .setErrorCode(Errors.NONE.code())
        .setSessionId(0)
        .setResponses(new ArrayList<>(topics.values()));
  }

  // ---- ListOffsets ----

  CompletionStage<ListOffsetsResponseData> listOffsets(ListOffsetsRequestData request) {
    List<CompletableFuture<ListOffsetsTopicResponse>> topics = new ArrayList<>();
    for (ListOffsetsTopic topic : request.topics()) {
      topics.add(
          log.describeTopic(topic.name())
              .thenCompose(description -> offsets(topic, description))
              .exceptionally(
                  e -> {
                    Errors error = KafkaErrors.of(e);
                    return new ListOffsetsTopicResponse()
                        .setName(topic.name())
                        .setPartitions(
                            topic.partitions().stream()
                                .map(p -> offsetError(p.partitionIndex(), error))
                                .toList());
                  })
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(topics.toArray(CompletableFuture[]::new))
        .thenApply(
            ignored ->
                new ListOffsetsResponseData()
                    .setTopics(topics.stream().map(CompletableFuture::join).toList()));
  }

  private CompletionStage<ListOffsetsTopicResponse> offsets(
      ListOffsetsTopic topic, TopicDescription description) {
    List<CompletableFuture<ListOffsetsPartitionResponse>> partitions = new ArrayList<>();
    for (ListOffsetsPartition p : topic.partitions()) {
      if (p.partitionIndex() < 0 || p.partitionIndex() >= description.partitions().size()) {
        partitions.add(
            CompletableFuture.completedFuture(
                offsetError(p.partitionIndex(), Errors.UNKNOWN_TOPIC_OR_PARTITION)));
        continue;
      }
      TopicDescription.PartitionDescription d = description.partitions().get(p.partitionIndex());
      partitions.add(offset(topic.name(), d, p.timestamp()).toCompletableFuture());
    }
    return CompletableFuture.allOf(partitions.toArray(CompletableFuture[]::new))
        .thenApply(
            ignored ->
                new ListOffsetsTopicResponse()
                    .setName(topic.name())
                    .setPartitions(partitions.stream().map(CompletableFuture::join).toList()));
  }

  private CompletionStage<ListOffsetsPartitionResponse> offset(
      String topic, TopicDescription.PartitionDescription d, long timestamp) {
    if (timestamp == ListOffsetsRequest.EARLIEST_TIMESTAMP
        || timestamp == ListOffsetsRequest.EARLIEST_LOCAL_TIMESTAMP) {
      return CompletableFuture.completedFuture(found(d.partition(), d.logStartOffset(), -1));
    }
    if (timestamp == ListOffsetsRequest.LATEST_TIMESTAMP
        || timestamp == ListOffsetsRequest.LATEST_TIERED_TIMESTAMP) {
      return CompletableFuture.completedFuture(found(d.partition(), d.logEndOffset(), -1));
    }
    if (timestamp == ListOffsetsRequest.MAX_TIMESTAMP || timestamp >= 0) {
      return new TimestampSearch(log, topic, d, timestamp, base).run();
    }
    return CompletableFuture.completedFuture(offsetError(d.partition(), Errors.INVALID_REQUEST));
  }

  static ListOffsetsPartitionResponse found(int partition, long offset, long timestamp) {
    return new ListOffsetsPartitionResponse()
        .setPartitionIndex(partition)
        .setErrorCode(Errors.NONE.code())
        .setOffset(offset)
        .setTimestamp(timestamp)
        .setLeaderEpoch(-1);
  }

  static ListOffsetsPartitionResponse offsetError(int partition, Errors error) {
    return new ListOffsetsPartitionResponse()
        .setPartitionIndex(partition)
        .setErrorCode(error.code())
        .setOffset(-1)
        .setTimestamp(-1);
  }
}
