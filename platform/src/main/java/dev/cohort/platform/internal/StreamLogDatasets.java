package dev.cohort.platform.internal;

import dev.cohort.log.ConsumerSettings;
import dev.cohort.log.LogException;
import dev.cohort.log.StreamLog;
import dev.cohort.log.TopicDescription;
import dev.cohort.training.DatasetSource;
import dev.cohort.training.TrainingError;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Training datasets read from stream-log topics: every record value of every partition, partitions
 * in order and each from its log start offset, so that every worker sees the same sequence (the
 * sampler's indices refer to positions in it). Null values (tombstones) are skipped.
 */
public final class StreamLogDatasets implements DatasetSource {
  private static final Map<String, String> BULK_FETCH =
      Map.of("max.poll.records", "10000", "fetch.max.bytes", "16777216", "fetch.max.wait.ms", "0");

  private final StreamLog log;

  public StreamLogDatasets(StreamLog log) {
    this.log = log;
  }

  @Override
  public CompletionStage<List<byte[]>> read(String topic) {
    ConsumerSettings settings = log.consumerSettings().with(BULK_FETCH);
    List<byte[]> records = new ArrayList<>();
    return log.describeTopic(topic)
        .thenCompose(
            description -> {
              CompletionStage<Void> all = CompletableFuture.completedFuture(null);
              for (TopicDescription.PartitionDescription p : description.partitions()) {
                all = all.thenCompose(done -> readPartition(topic, p, settings, records));
              }
              return all;
            })
        .handle(
            (done, error) -> {
              if (error != null) {
                throw translate(topic, error);
              }
              return records;
            });
  }

  private CompletionStage<Void> readPartition(
      String topic,
      TopicDescription.PartitionDescription partition,
      ConsumerSettings settings,
      List<byte[]> into) {
    return fetchFrom(
        topic,
        partition.partition(),
        partition.logStartOffset(),
        partition.logEndOffset(),
        settings,
        into);
  }

  private CompletionStage<Void> fetchFrom(
      String topic,
      int partition,
      long offset,
      long end,
      ConsumerSettings settings,
      List<byte[]> into) {
    if (offset >= end) {
      return CompletableFuture.completedFuture(null);
    }
    return log.fetch(topic, partition, offset, settings)
        .thenCompose(
            result -> {
              result
                  .records()
                  .forEach(
                      r -> {
                        if (r.value() != null) {
                          into.add(r.value());
                        }
                      });
              return result.nextOffset() <= offset
                  ? CompletableFuture.completedFuture(null)
                  : fetchFrom(topic, partition, result.nextOffset(), end, settings, into);
            });
  }

  private static RuntimeException translate(String topic, Throwable error) {
    Throwable cause =
        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof LogException log && log.code().equals("unknown_topic_or_partition")) {
      return TrainingError.DATASET_NOT_FOUND.exception(
          "dataset topic '" + topic + "' does not exist");
    }
    return cause instanceof RuntimeException runtime ? runtime : new CompletionException(cause);
  }
}
