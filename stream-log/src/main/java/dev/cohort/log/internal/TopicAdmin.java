package dev.cohort.log.internal;

import dev.cohort.log.LogError;
import dev.cohort.log.LogException;
import dev.cohort.log.TopicConfig;
import dev.cohort.log.TopicDescription;
import dev.cohort.log.TopicPartition;
import dev.cohort.persistence.Rejection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Topic administration behind {@link dev.cohort.log.StreamLog} (Kafka's {@code Admin} for topics):
 * create, list, describe, alter configs, add partitions, delete, and the partitions' status; also
 * the node's periodic retention sweep over every topic.
 *
 * <p>Invariants: a topic change is decided by the topic registry first and then pushed to every
 * partition ({@code Configure}, {@code DeletePartition}); the change is answered only after every
 * partition answered. A partition whose configuration a crash interrupted is configured again by
 * the next describe or produce that finds it stale. Bad names and counts are refused here with a
 * typed error before anything is asked. Thread-safe (no state of its own besides the cache).
 */
final class TopicAdmin {
  private final EntityAsks asks;
  private final TopicMetadataCache metadata;
  private final LogSettings settings;

  TopicAdmin(EntityAsks asks, TopicMetadataCache metadata) {
    this.asks = asks;
    this.metadata = metadata;
    this.settings = asks.settings();
  }

  CompletionStage<TopicDescription> createTopic(
      String name, int partitions, Map<String, String> configs) {
    Rejection bad = TopicRegistry.validateName(name);
    if (bad != null) {
      return EntityAsks.failed(bad);
    }
    if (partitions < 1 || partitions > settings.maxPartitions()) {
      return EntityAsks.failed(
          LogError.INVALID_PARTITIONS,
          "partitions must be from 1 to " + settings.maxPartitions() + ", not " + partitions);
    }
    try {
      settings.topicDefaults().with(configs == null ? Map.of() : configs);
    } catch (LogException e) {
      return CompletableFuture.failedFuture(e);
    }
    Map<String, String> copy = Map.copyOf(configs == null ? Map.of() : configs);
    return change(name, replyTo -> new TopicRegistry.CreateTopic(name, partitions, copy, replyTo));
  }

  CompletionStage<List<String>> listTopics() {
    return asks.askRegistry(TopicRegistry.ListTopics::new)
        .thenApply(r -> ((TopicRegistry.Names) r).names());
  }

  CompletionStage<TopicDescription> describeTopic(String name) {
    return metadata.fresh(name).thenCompose(this::describe);
  }

  CompletionStage<TopicDescription> alterTopicConfigs(String name, Map<String, String> configs) {
    Rejection bad = TopicRegistry.validateName(name);
    if (bad != null) {
      return EntityAsks.failed(bad);
    }
    Map<String, String> copy = Map.copyOf(configs);
    return change(name, replyTo -> new TopicRegistry.AlterConfigs(name, copy, replyTo));
  }

  CompletionStage<TopicDescription> createPartitions(String name, int totalPartitions) {
    Rejection bad = TopicRegistry.validateName(name);
    if (bad != null) {
      return EntityAsks.failed(bad);
    }
    return change(name, replyTo -> new TopicRegistry.AddPartitions(name, totalPartitions, replyTo));
  }

  /** Asks the registry for a change, then configures every partition and describes the topic. */
  private CompletableFuture<TopicDescription> change(
      String name, Function<ActorRef<TopicRegistry.Reply>, TopicRegistry.Command> command) {
    return metadata
        .registryTopicAsk(command)
        .thenCompose(meta -> configureAll(meta).thenCompose(s -> describe(meta)))
        .whenComplete((d, e) -> metadata.invalidate(name));
  }

  CompletionStage<Done> deleteTopic(String name) {
    Rejection bad = TopicRegistry.validateName(name);
    if (bad != null) {
      return EntityAsks.failed(bad);
    }
    return metadata
        .registryTopicAsk(replyTo -> new TopicRegistry.DeleteTopic(name, replyTo))
        .thenCompose(
            meta -> {
              List<CompletableFuture<PartitionEntity.Reply>> all = new ArrayList<>();
              for (int p = 0; p < meta.partitions(); p++) {
                all.add(
                    asks.askPartition(
                        new TopicPartition(name, p),
                        replyTo -> new PartitionEntity.DeletePartition(meta.topicId(), replyTo),
                        settings.askTimeout()));
              }
              return EntityAsks.sequence(all);
            })
        .thenApply(v -> Done.getInstance())
        .whenComplete((d, e) -> metadata.invalidate(name));
  }

  /** Gives partition {@code p} the topic's id and configs. */
  CompletableFuture<PartitionEntity.Status> configure(TopicRegistry.TopicMetadata meta, int p) {
    return asks.askPartition(
            new TopicPartition(meta.name(), p),
            replyTo -> new PartitionEntity.Configure(meta.topicId(), meta.config(), replyTo),
            settings.askTimeout())
        .thenCompose(TopicAdmin::expectStatus);
  }

  private CompletableFuture<List<PartitionEntity.Status>> configureAll(
      TopicRegistry.TopicMetadata meta) {
    List<CompletableFuture<PartitionEntity.Status>> all = new ArrayList<>();
    for (int p = 0; p < meta.partitions(); p++) {
      all.add(configure(meta, p));
    }
    return EntityAsks.sequence(all);
  }

  private static CompletableFuture<PartitionEntity.Status> expectStatus(PartitionEntity.Reply r) {
    return switch (r) {
      case PartitionEntity.Status s -> CompletableFuture.completedFuture(s);
      case PartitionEntity.Rejected rj -> EntityAsks.failed(rj.rejection());
      default -> CompletableFuture.failedFuture(new IllegalStateException("unexpected " + r));
    };
  }

  /** The partition's status; configures it first when a crash interrupted its configuration. */
  private CompletableFuture<PartitionEntity.Status> status(
      TopicRegistry.TopicMetadata meta, int p) {
    TopicPartition tp = new TopicPartition(meta.name(), p);
    return asks.askPartition(tp, PartitionEntity.GetStatus::new, settings.askTimeout())
        .thenCompose(TopicAdmin::expectStatus)
        .thenCompose(
            s ->
                s.topicId().equals(meta.topicId()) && meta.config().equals(s.config())
                    ? CompletableFuture.completedFuture(s)
                    : configure(meta, p));
  }

  /** The partition's [logStartOffset, logEndOffset]. */
  CompletableFuture<long[]> offsets(TopicPartition tp) {
    return metadata
        .metadata(tp.topic())
        .thenCompose(meta -> status(meta, tp.partition()))
        .thenApply(s -> new long[] {s.logStartOffset(), s.logEndOffset()});
  }

  private CompletableFuture<TopicDescription> describe(TopicRegistry.TopicMetadata meta) {
    List<CompletableFuture<PartitionEntity.Status>> all = new ArrayList<>();
    for (int p = 0; p < meta.partitions(); p++) {
      all.add(status(meta, p));
    }
    return EntityAsks.sequence(all)
        .thenApply(
            statuses -> {
              List<TopicDescription.PartitionDescription> parts = new ArrayList<>();
              for (int p = 0; p < statuses.size(); p++) {
                PartitionEntity.Status s = statuses.get(p);
                parts.add(
                    new TopicDescription.PartitionDescription(
                        p, s.logStartOffset(), s.logEndOffset(), s.sizeBytes(), s.node()));
              }
              return new TopicDescription(
                  meta.name(), meta.topicId(), meta.config(), List.copyOf(parts));
            });
  }

  /**
   * Wakes every partition of every topic whose retention or compaction can remove data, so that
   * partitions whose entity passivated are cleaned too. Every node sweeps; a partition checked
   * twice in one interval simply finds nothing more to remove.
   */
  void sweepRetention() {
    listTopics()
        .thenAccept(names -> names.forEach(name -> metadata.fresh(name).thenAccept(this::sweep)));
  }

  private void sweep(TopicRegistry.TopicMetadata meta) {
    TopicConfig c = meta.config();
    boolean removes =
        c.cleanupPolicy().compacts() || c.retentionMs() >= 0 || c.retentionBytes() >= 0;
    for (int p = 0; removes && p < meta.partitions(); p++) {
      asks.partition(new TopicPartition(meta.name(), p))
          .tell(new PartitionEntity.CheckRetention(asks.system().ignoreRef()));
    }
  }
}
