package dev.cohort.kafka.internal;

import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.ConsumerSettings;
import dev.cohort.log.FetchResult;
import dev.cohort.log.StreamLog;
import dev.cohort.log.TopicDescription;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsPartitionResponse;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ListOffsetsRequest;

/**
 * ListOffsets by timestamp on one partition: reads the partition from its log start, 1 MiB at a
 * time, for the first record whose timestamp is at least the target (or, for MAX_TIMESTAMP, the
 * record with the largest timestamp). The stream-log keeps no time index, so this costs a read of
 * the partition up to the answer; it is bounded by the log end offset seen when it started.
 */
final class TimestampSearch {
  private static final int CHUNK_BYTES = 1 << 20;

  private final StreamLog log;
  private final String topic;
  private final TopicDescription.PartitionDescription partition;
  private final long target;
  private final ConsumerSettings settings;
  private long bestOffset = -1;
  private long bestTimestamp = -1;

  TimestampSearch(
      StreamLog log,
      String topic,
      TopicDescription.PartitionDescription partition,
      long target,
      ConsumerSettings base) {
    this.log = log;
    this.topic = topic;
    this.partition = partition;
    this.target = target;
    this.settings =
        new ConsumerSettings(
            CHUNK_BYTES,
            10_000,
            Duration.ZERO,
            base.autoOffsetReset(),
            false,
            base.autoCommitInterval(),
            base.sessionTimeout(),
            base.heartbeatInterval(),
            base.assignor(),
            base.clientId());
  }

  CompletionStage<ListOffsetsPartitionResponse> run() {
    return from(partition.logStartOffset());
  }

  private CompletionStage<ListOffsetsPartitionResponse> from(long offset) {
    if (offset >= partition.logEndOffset()) {
      return CompletableFuture.completedFuture(answer());
    }
    return log.fetch(topic, partition.partition(), offset, settings)
        .thenCompose(
            result -> {
              if (scan(result) || result.nextOffset() <= offset) {
                return CompletableFuture.completedFuture(answer());
              }
              return from(result.nextOffset());
            })
        .exceptionally(e -> FetchApi.offsetError(partition.partition(), KafkaErrors.of(e)));
  }

  /** True when the search is over. */
  private boolean scan(FetchResult result) {
    for (ConsumerRecord r : result.records()) {
      if (target == ListOffsetsRequest.MAX_TIMESTAMP) {
        if (r.timestamp() > bestTimestamp) {
          bestTimestamp = r.timestamp();
          bestOffset = r.offset();
        }
      } else if (r.timestamp() >= target) {
        bestTimestamp = r.timestamp();
        bestOffset = r.offset();
        return true;
      }
    }
    return result.records().isEmpty();
  }

  private ListOffsetsPartitionResponse answer() {
    if (bestOffset < 0) {
      return new ListOffsetsPartitionResponse()
          .setPartitionIndex(partition.partition())
          .setErrorCode(Errors.NONE.code())
          .setOffset(-1)
          .setTimestamp(-1);
    }
    return FetchApi.found(partition.partition(), bestOffset, bestTimestamp);
  }
}
