package dev.cohort.log.internal;

import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.ConsumerSettings;
import dev.cohort.log.FetchResult;
import dev.cohort.log.GroupAssignment;
import dev.cohort.log.GroupConsumer;
import dev.cohort.log.GroupDescription;
import dev.cohort.log.LogException;
import dev.cohort.log.OffsetAndMetadata;
import dev.cohort.log.Producer;
import dev.cohort.log.ProducerIdAndEpoch;
import dev.cohort.log.ProducerRecord;
import dev.cohort.log.ProducerSettings;
import dev.cohort.log.RecordMetadata;
import dev.cohort.log.StreamLog;
import dev.cohort.log.TopicConfig;
import dev.cohort.log.TopicDescription;
import dev.cohort.log.TopicPartition;
import dev.cohort.persistence.ErrorKind;
import dev.cohort.persistence.Rejection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The embedded {@link StreamLog}: initialises the three entity types on this node's Cluster
 * Sharding and talks to them with asks whose timeouts come from {@code cohort.log}. Keeps a
 * per-node cache of topic metadata ({@code metadata-max-age}). Thread-safe.
 */
public final class StreamLogImpl implements StreamLog {
  private final ActorSystem<?> system;
  private final LogSettings settings;
  private final ClusterSharding sharding;
  private final LogMetrics metrics;
  private final Map<String, CachedMetadata> metadata = new ConcurrentHashMap<>();
  private final Set<String> registeredGroups = ConcurrentHashMap.newKeySet();
  private final AtomicLong producerCount = new AtomicLong();
  private final Map<String, GroupConsumerImpl> memberSessions = new ConcurrentHashMap<>();

  private record CachedMetadata(TopicRegistry.TopicMetadata metadata, long loadedNanos) {}

  /** The background metadata refresh in flight per topic (at most one). */
  private final Map<String, CompletableFuture<TopicRegistry.TopicMetadata>> refreshing =
      new ConcurrentHashMap<>();

  private StreamLogImpl(ActorSystem<?> system, LogSettings settings) {
    this.system = system;
    this.settings = settings;
    this.sharding = ClusterSharding.get(system);
    this.metrics = LogMetrics.get(system);
  }

  /** Initialises the entity types on {@code system} (which must be a cluster member). */
  public static StreamLogImpl start(ActorSystem<?> system) {
    LogSettings settings = LogSettings.create(system.settings().config());
    TopicRegistry.init(system, settings);
    PartitionEntity.init(system, settings);
    GroupCoordinator.init(system, settings);
    StreamLogImpl log = new StreamLogImpl(system, settings);
    Duration every = settings.retentionCheckInterval();
    org.apache.pekko.actor.Cancellable sweep =
        system
            .scheduler()
            .scheduleWithFixedDelay(every, every, log::sweepRetention, system.executionContext());
    Duration lagEvery = settings.lagRefreshInterval();
    org.apache.pekko.actor.Cancellable lagRefresh =
        system
            .scheduler()
            .scheduleWithFixedDelay(
                lagEvery, lagEvery, log::refreshRemoteLogEndOffsets, system.executionContext());
    // Stop sweeping before sharding hands partitions off, or the sweep would keep waking them.
    org.apache.pekko.actor.CoordinatedShutdown.get(system)
        .addTask(
            org.apache.pekko.actor.CoordinatedShutdown.PhaseBeforeServiceUnbind(),
            "stop-log-retention-sweep",
            () -> {
              sweep.cancel();
              lagRefresh.cancel();
              return CompletableFuture.completedFuture(Done.getInstance());
            });
    return log;
  }

  /**
   * Fetches the log end offsets that the consumer-group lag gauge of this node's groups needs from
   * partitions hosted elsewhere. A partition that does not answer keeps its last value.
   */
  private void refreshRemoteLogEndOffsets() {
    for (TopicPartition tp : metrics.committedPartitionsHostedElsewhere()) {
      offsets(tp).thenAccept(o -> metrics.remoteLogEndOffset(tp, o[1]));
    }
  }

  /**
   * Wakes every partition of every topic whose retention or compaction can remove data, so that
   * partitions whose entity passivated are cleaned too. Every node sweeps; a partition checked
   * twice in one interval simply finds nothing more to remove.
   */
  private void sweepRetention() {
    evictIdleSessions();
    listTopics()
        .thenAccept(
            names ->
                names.forEach(
                    name ->
                        freshMetadata(name)
                            .thenAccept(
                                meta -> {
                                  TopicConfig c = meta.config();
                                  boolean removes =
                                      c.cleanupPolicy().compacts()
                                          || c.retentionMs() >= 0
                                          || c.retentionBytes() >= 0;
                                  for (int p = 0; removes && p < meta.partitions(); p++) {
                                    partition(new TopicPartition(name, p))
                                        .tell(new PartitionEntity.CheckRetention(system.ignoreRef()));
                                  }
                                })));
  }

  public LogSettings settings() {
    return settings;
  }

  ActorSystem<?> system() {
    return system;
  }

  // ---- plumbing ----

  EntityRef<TopicRegistry.Command> registry() {
    return sharding.entityRefFor(TopicRegistry.ENTITY_TYPE_KEY, TopicRegistry.ENTITY_ID);
  }

  EntityRef<PartitionEntity.Command> partition(TopicPartition tp) {
    return sharding.entityRefFor(
        PartitionEntity.ENTITY_TYPE_KEY, PartitionEntity.entityId(tp.topic(), tp.partition()));
  }

  EntityRef<GroupCoordinator.Command> group(String groupId) {
    return sharding.entityRefFor(GroupCoordinator.ENTITY_TYPE_KEY, groupId);
  }

  private <C, R> CompletableFuture<R> ask(
      EntityRef<C> ref, Function<ActorRef<R>, C> command, Duration timeout) {
    return ref.ask(command::apply, timeout)
        .toCompletableFuture()
        .exceptionallyCompose(
            failure -> CompletableFuture.failedFuture(translate(failure, ref.getEntityId())));
  }

  private static Throwable translate(Throwable failure, String what) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof LogException) {
      return cause;
    }
    if (cause instanceof TimeoutException) {
      return new LogException(
          ErrorKind.TIMEOUT, "request_timeout", "no answer from " + what + " in time", cause);
    }
    return new LogException(
        ErrorKind.UNAVAILABLE, "not_ready", what + " is unavailable: " + cause, cause);
  }

  /** Whether the registry answered with a refusal (the topic is gone), not a timeout or an outage. */
  private static boolean isRejection(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause instanceof LogException e
        && e.kind() != ErrorKind.TIMEOUT
        && e.kind() != ErrorKind.UNAVAILABLE;
  }

  private static <T> CompletableFuture<T> failed(Rejection rejection) {
    return CompletableFuture.failedFuture(LogException.of(rejection));
  }

  private static <T> CompletableFuture<T> invalid(String code, String message) {
    return CompletableFuture.failedFuture(new LogException(ErrorKind.INVALID, code, message));
  }

  private CompletableFuture<TopicRegistry.TopicMetadata> expectTopic(TopicRegistry.Reply reply) {
    return switch (reply) {
      case TopicRegistry.TopicMetadata m -> CompletableFuture.completedFuture(m);
      case TopicRegistry.Rejected r -> failed(r.rejection());
      default -> CompletableFuture.failedFuture(new IllegalStateException("unexpected " + reply));
    };
  }

  private CompletableFuture<TopicRegistry.TopicMetadata> registryTopicAsk(
      Function<ActorRef<TopicRegistry.Reply>, TopicRegistry.Command> command) {
    return this.<TopicRegistry.Command, TopicRegistry.Reply>ask(
            registry(), command, settings.askTimeout())
        .thenCompose(this::expectTopic);
  }

  /** A topic's metadata, from the cache when younger than {@code metadata-max-age}. */
  public CompletableFuture<TopicRegistry.TopicMetadata> metadata(String topic) {
    CachedMetadata cached = metadata.get(topic);
    if (cached == null) {
      return freshMetadata(topic);
    }
    if (System.nanoTime() - cached.loadedNanos() >= settings.metadataMaxAge().toNanos()) {
      // Refreshed in the background: a produce must not wait for the topic registry, whose node
      // may just have died (its ask would take the whole ask-timeout). A topic deleted meanwhile
      // shows as the partition's rejection, as a Kafka client's stale metadata does.
      refreshing.computeIfAbsent(
          topic, t -> freshMetadata(t).whenComplete((m, e) -> refreshing.remove(t)));
    }
    return CompletableFuture.completedFuture(cached.metadata());
  }

  private CompletableFuture<TopicRegistry.TopicMetadata> freshMetadata(String topic) {
    Rejection bad = TopicRegistry.validateName(topic);
    if (bad != null) {
      return failed(bad);
    }
    return registryTopicAsk(replyTo -> new TopicRegistry.DescribeTopic(topic, replyTo))
        .whenComplete(
            (m, e) -> {
              if (m != null) {
                metadata.put(topic, new CachedMetadata(m, System.nanoTime()));
              } else if (e != null && isRejection(e)) {
                // The registry answered: the topic is gone. A timeout keeps the cached entry.
                metadata.remove(topic);
              }
            });
  }

  private CompletableFuture<PartitionEntity.Reply> askPartition(
      TopicPartition tp,
      Function<ActorRef<PartitionEntity.Reply>, PartitionEntity.Command> command,
      Duration timeout) {
    return this.<PartitionEntity.Command, PartitionEntity.Reply>ask(partition(tp), command, timeout);
  }

  private CompletableFuture<PartitionEntity.Status> configure(
      TopicRegistry.TopicMetadata meta, int p) {
    return askPartition(
            new TopicPartition(meta.name(), p),
            replyTo -> new PartitionEntity.Configure(meta.topicId(), meta.config(), replyTo),
            settings.askTimeout())
        .thenCompose(StreamLogImpl::expectStatus);
  }

  private static CompletableFuture<PartitionEntity.Status> expectStatus(PartitionEntity.Reply r) {
    return switch (r) {
      case PartitionEntity.Status s -> CompletableFuture.completedFuture(s);
      case PartitionEntity.Rejected rj -> failed(rj.rejection());
      default -> CompletableFuture.failedFuture(new IllegalStateException("unexpected " + r));
    };
  }

  private CompletableFuture<List<PartitionEntity.Status>> configureAll(
      TopicRegistry.TopicMetadata meta) {
    List<CompletableFuture<PartitionEntity.Status>> all = new ArrayList<>();
    for (int p = 0; p < meta.partitions(); p++) {
      all.add(configure(meta, p));
    }
    return sequence(all);
  }

  private static <T> CompletableFuture<List<T>> sequence(List<CompletableFuture<T>> all) {
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .thenApply(v -> all.stream().map(CompletableFuture::join).toList());
  }

  /** The partition's status; configures it first when a crash interrupted its configuration. */
  private CompletableFuture<PartitionEntity.Status> status(
      TopicRegistry.TopicMetadata meta, int p) {
    return askPartition(
            new TopicPartition(meta.name(), p),
            PartitionEntity.GetStatus::new,
            settings.askTimeout())
        .thenCompose(StreamLogImpl::expectStatus)
        .thenCompose(
            s ->
                s.topicId().equals(meta.topicId()) && meta.config().equals(s.config())
                    ? CompletableFuture.completedFuture(s)
                    : configure(meta, p));
  }

  private CompletableFuture<TopicDescription> describe(TopicRegistry.TopicMetadata meta) {
    List<CompletableFuture<PartitionEntity.Status>> all = new ArrayList<>();
    for (int p = 0; p < meta.partitions(); p++) {
      all.add(status(meta, p));
    }
    return sequence(all)
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

  // ---- topics ----

  @Override
  public CompletionStage<TopicDescription> createTopic(
      String name, int partitions, Map<String, String> configs) {
    Rejection bad = TopicRegistry.validateName(name);
    if (bad != null) {
      return failed(bad);
    }
    if (partitions < 1 || partitions > settings.maxPartitions()) {
      return invalid(
          "invalid_partitions",
          "partitions must be from 1 to " + settings.maxPartitions() + ", not " + partitions);
    }
    try {
      settings.topicDefaults().with(configs == null ? Map.of() : configs);
    } catch (LogException e) {
      return CompletableFuture.failedFuture(e);
    }
    Map<String, String> copy = Map.copyOf(configs == null ? Map.of() : configs);
    return registryTopicAsk(
            replyTo -> new TopicRegistry.CreateTopic(name, partitions, copy, replyTo))
        .thenCompose(meta -> configureAll(meta).thenCompose(s -> describe(meta)))
        .whenComplete((d, e) -> metadata.remove(name));
  }

  @Override
  public CompletionStage<List<String>> listTopics() {
    return this.<TopicRegistry.Command, TopicRegistry.Reply>ask(
            registry(), TopicRegistry.ListTopics::new, settings.askTimeout())
        .thenApply(r -> ((TopicRegistry.Names) r).names());
  }

  @Override
  public CompletionStage<TopicDescription> describeTopic(String name) {
    return freshMetadata(name).thenCompose(this::describe);
  }

  @Override
  public CompletionStage<TopicDescription> alterTopicConfigs(
      String name, Map<String, String> configs) {
    Rejection bad = TopicRegistry.validateName(name);
    if (bad != null) {
      return failed(bad);
    }
    Map<String, String> copy = Map.copyOf(configs);
    return registryTopicAsk(replyTo -> new TopicRegistry.AlterConfigs(name, copy, replyTo))
        .thenCompose(meta -> configureAll(meta).thenCompose(s -> describe(meta)))
        .whenComplete((d, e) -> metadata.remove(name));
  }

  @Override
  public CompletionStage<TopicDescription> createPartitions(String name, int totalPartitions) {
    Rejection bad = TopicRegistry.validateName(name);
    if (bad != null) {
      return failed(bad);
    }
    return registryTopicAsk(
            replyTo -> new TopicRegistry.AddPartitions(name, totalPartitions, replyTo))
        .thenCompose(meta -> configureAll(meta).thenCompose(s -> describe(meta)))
        .whenComplete((d, e) -> metadata.remove(name));
  }

  @Override
  public CompletionStage<Done> deleteTopic(String name) {
    Rejection bad = TopicRegistry.validateName(name);
    if (bad != null) {
      return failed(bad);
    }
    return registryTopicAsk(replyTo -> new TopicRegistry.DeleteTopic(name, replyTo))
        .thenCompose(
            meta -> {
              List<CompletableFuture<PartitionEntity.Reply>> all = new ArrayList<>();
              for (int p = 0; p < meta.partitions(); p++) {
                all.add(
                    askPartition(
                        new TopicPartition(name, p),
                        replyTo -> new PartitionEntity.DeletePartition(meta.topicId(), replyTo),
                        settings.askTimeout()));
              }
              return sequence(all);
            })
        .thenApply(v -> Done.getInstance())
        .whenComplete((d, e) -> metadata.remove(name));
  }

  // ---- producing ----

  @Override
  public Producer producer() {
    return producer(settings.producer());
  }

  @Override
  public Producer producer(ProducerSettings producerSettings) {
    return producer(producerSettings, shardingTransport());
  }

  /** A producer over {@code transport} (tests inject faults there). */
  public Producer producer(ProducerSettings producerSettings, ProduceTransport transport) {
    ActorRef<ProducerActor.Command> actor =
        system.systemActorOf(
            ProducerActor.create(
                producerSettings, transport, this::metadata, settings.metadataMaxAge()),
            "log-producer-" + producerCount.incrementAndGet(),
            Props.empty());
    return new ProducerImpl(actor, producerSettings);
  }

  /** The real transport: an ask to the partition entity through Cluster Sharding. */
  public ProduceTransport shardingTransport() {
    return (tp, command, timeout) ->
        this.<PartitionEntity.Command, PartitionEntity.Reply>ask(
            partition(tp), command::apply, timeout);
  }

  @Override
  public CompletionStage<List<RecordMetadata>> send(String topic, List<ProducerRecord> records) {
    return send(topic, records, ProducerSettings.Acks.ALL);
  }

  @Override
  public CompletionStage<List<RecordMetadata>> send(
      String topic, List<ProducerRecord> records, ProducerSettings.Acks acks) {
    if (records == null || records.isEmpty()) {
      return invalid("invalid_request", "a produce request needs at least one record");
    }
    List<ProducerRecord> copy = List.copyOf(records);
    CompletableFuture<List<RecordMetadata>> written =
        metadata(topic).thenCompose(meta -> sendBatches(meta, copy));
    if (acks != ProducerSettings.Acks.NONE) {
      return written;
    }
    long now = System.currentTimeMillis();
    List<RecordMetadata> unknown = new ArrayList<>();
    for (ProducerRecord r : copy) {
      unknown.add(
          new RecordMetadata(
              topic, r.partition() == null ? -1 : r.partition(), -1,
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
        return failed(bad);
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

  @Override
  public CompletionStage<ProducerIdAndEpoch> initProducerId(ProducerIdAndEpoch current) {
    return CompletableFuture.completedFuture(ProducerIds.init(current));
  }

  @Override
  public CompletionStage<List<RecordMetadata>> send(
      String topic,
      int partition,
      ProducerIdAndEpoch producer,
      int baseSequence,
      List<ProducerRecord> records) {
    if (records == null || records.isEmpty()) {
      return invalid("invalid_request", "a produce request needs at least one record");
    }
    if (producer == null) {
      return invalid("invalid_request", "an idempotent batch needs a producer id and epoch");
    }
    // The partition numbers the batch's last record baseSequence + count - 1 in an int.
    if (baseSequence < 0 || (long) baseSequence + records.size() - 1 > Integer.MAX_VALUE) {
      return invalid(
          "invalid_request",
          "baseSequence must be at least 0 and leave room for " + records.size()
              + " records below 2^31; got " + baseSequence + " (start a new epoch at 0)");
    }
    for (int i = 0; i < records.size(); i++) {
      Integer named = records.get(i).partition();
      if (named != null && named != partition) {
        return invalid(
            "invalid_request",
            "record " + i + " names partition " + named + " but the batch goes to partition "
                + partition + ": a sequenced batch has one partition");
      }
    }
    List<ProducerRecord> copy = List.copyOf(records);
    return metadata(topic)
        .thenCompose(
            meta -> {
              for (int i = 0; i < copy.size(); i++) {
                Rejection bad = checkRecord(meta, partition, i, copy.get(i));
                if (bad != null) {
                  return failed(bad);
                }
              }
              long[] timestamps = timestamps(copy, System.currentTimeMillis());
              TopicPartition tp = new TopicPartition(meta.name(), partition);
              return produceRepairing(
                      meta, tp, encode(meta, copy, timestamps), producer.producerId(),
                      producer.epoch(), baseSequence, true)
                  .thenApply(appended -> written(tp, appended, timestamps));
            });
  }

  /** Why record {@code i}, bound for {@code partition}, cannot be sent; null when it can. */
  private static Rejection checkRecord(
      TopicRegistry.TopicMetadata meta, int partition, int i, ProducerRecord r) {
    if (partition < 0 || partition >= meta.partitions()) {
      return Rejection.notFound(
          "unknown_topic_or_partition",
          "topic '" + meta.name() + "' has " + meta.partitions() + " partitions; partition "
              + partition + " does not exist");
    }
    int limit = meta.config().maxMessageBytes() - RecordBatches.BATCH_OVERHEAD_BYTES;
    if (RecordBatches.estimateSize(r.key(), r.value(), r.headers()) > limit) {
      return new Rejection(
          ErrorKind.TOO_LARGE,
          "record_too_large",
          "record " + i + " is over max.message.bytes = " + meta.config().maxMessageBytes()
              + " of topic '" + meta.name() + "'");
    }
    return null;
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
  private RecordBatches.Encoded encode(
      TopicRegistry.TopicMetadata meta, List<ProducerRecord> batch, long[] timestamps) {
    TopicConfig.CompressionType codec = meta.config().compressionType();
    if (codec == TopicConfig.CompressionType.PRODUCER) {
      codec = settings.producer().compressionType();
    }
    RecordBatches.Builder builder = new RecordBatches.Builder();
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
   * partition that does not know the topic yet (created while it was passivated) is configured
   * once and asked again.
   */
  private CompletableFuture<PartitionEntity.Appended> produceRepairing(
      TopicRegistry.TopicMetadata meta, TopicPartition tp, RecordBatches.Encoded encoded,
      long producerId, int producerEpoch, int baseSequence, boolean repair) {
    return askPartition(
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
                      when repair && r.rejection().code().equals("unknown_topic_or_partition") ->
                      configure(meta, tp.partition())
                          .thenCompose(
                              s ->
                                  produceRepairing(
                                      meta, tp, encoded, producerId, producerEpoch, baseSequence,
                                      false));
                  case PartitionEntity.Rejected r -> failed(r.rejection());
                  default ->
                      CompletableFuture.failedFuture(new IllegalStateException("unexpected " + reply));
                });
  }

  // ---- consuming ----

  @Override
  public ConsumerSettings consumerSettings() {
    return settings.consumer();
  }

  @Override
  public ProducerSettings producerSettings() {
    return settings.producer();
  }

  @Override
  public CompletionStage<FetchResult> fetch(String topic, int partition, long offset) {
    return fetch(topic, partition, offset, settings.consumer());
  }

  @Override
  public CompletionStage<FetchResult> fetch(
      String topic, int partition, long offset, ConsumerSettings consumer) {
    return fetch(topic, partition, offset, consumer, consumer.fetchMaxWait());
  }

  CompletableFuture<FetchResult> fetch(
      String topic, int partition, long offset, ConsumerSettings consumer, Duration maxWait) {
    return metadata(topic)
        .thenCompose(
            meta -> {
              if (partition < 0 || partition >= meta.partitions()) {
                return failed(
                    Rejection.notFound(
                        "unknown_topic_or_partition",
                        "topic '" + topic + "' has " + meta.partitions() + " partitions; partition "
                            + partition + " does not exist"));
              }
              TopicPartition tp = new TopicPartition(topic, partition);
              long wait = Math.min(maxWait.toMillis(), settings.maxFetchWait().toMillis());
              return askPartition(
                      tp,
                      replyTo ->
                          new PartitionEntity.Fetch(
                              offset, consumer.fetchMaxBytes(), consumer.maxPollRecords(), wait,
                              replyTo),
                      settings.askTimeout().plusMillis(wait))
                  .thenCompose(reply -> decodeFetch(tp, offset, consumer.maxPollRecords(), reply));
            });
  }

  private CompletableFuture<FetchResult> decodeFetch(
      TopicPartition tp, long offset, int maxRecords, PartitionEntity.Reply reply) {
    if (reply instanceof PartitionEntity.Rejected r) {
      return failed(r.rejection());
    }
    PartitionEntity.Fetched fetched = (PartitionEntity.Fetched) reply;
    List<ConsumerRecord> records = new ArrayList<>();
    long next = fetched.nextOffset();
    for (StoredBatch batch : fetched.batches()) {
      records.addAll(
          RecordBatches.decode(tp.topic(), tp.partition(), batch, offset, maxRecords - records.size()));
      if (records.size() >= maxRecords) {
        next = records.getLast().offset() + 1;
        break;
      }
    }
    if (!records.isEmpty()) {
      metrics.fetchedRecords.labelValues(tp.topic()).inc(records.size());
    }
    return CompletableFuture.completedFuture(
        new FetchResult(
            List.copyOf(records), fetched.highWatermark(), fetched.logStartOffset(), next));
  }

  /** The partition's [logStartOffset, logEndOffset]. */
  CompletableFuture<long[]> offsets(TopicPartition tp) {
    return metadata(tp.topic())
        .thenCompose(meta -> status(meta, tp.partition()))
        .thenApply(s -> new long[] {s.logStartOffset(), s.logEndOffset()});
  }

  /** Where a consumer without a valid position starts, by {@code auto.offset.reset}. */
  CompletableFuture<Long> resetOffset(TopicPartition tp, ConsumerSettings consumer, long wanted) {
    return switch (consumer.autoOffsetReset()) {
      case EARLIEST -> offsets(tp).thenApply(o -> o[0]);
      case LATEST -> offsets(tp).thenApply(o -> o[1]);
      case NONE ->
          CompletableFuture.failedFuture(
              new LogException(
                  ErrorKind.INVALID,
                  "offset_out_of_range",
                  "no valid position " + wanted + " for " + tp + " and auto.offset.reset = none"));
    };
  }

  @Override
  public Source<ConsumerRecord, NotUsed> source(
      String topic, int partition, long offset, ConsumerSettings consumer) {
    TopicPartition tp = new TopicPartition(topic, partition);
    return Source.unfoldAsync(
            offset,
            position -> {
              CompletableFuture<Long> start =
                  position < 0
                      ? resetOffset(tp, consumer, position)
                      : CompletableFuture.completedFuture(position);
              return start
                  .thenCompose(
                      from ->
                          fetch(topic, partition, from, consumer)
                              .toCompletableFuture()
                              .exceptionallyCompose(
                                  failure -> {
                                    Throwable cause = translate(failure, tp.toString());
                                    if (cause instanceof LogException le
                                        && le.code().equals("offset_out_of_range")) {
                                      return resetOffset(tp, consumer, from)
                                          .thenCompose(
                                              reset -> fetch(topic, partition, reset, consumer));
                                    }
                                    return CompletableFuture.failedFuture(cause);
                                  }))
                  .thenApply(r -> Optional.of(Pair.create(r.nextOffset(), r.records())));
            })
        .mapConcat(records -> records);
  }

  // ---- groups ----

  private CompletableFuture<GroupCoordinator.Reply> askGroup(
      String groupId, Function<ActorRef<GroupCoordinator.Reply>, GroupCoordinator.Command> command) {
    if (groupId == null || groupId.isBlank() || groupId.length() > 249) {
      return invalid("invalid_group_id", "a group id must be 1 to 249 characters");
    }
    return this.<GroupCoordinator.Command, GroupCoordinator.Reply>ask(
            group(groupId), command, settings.askTimeout())
        .thenCompose(
            r ->
                r instanceof GroupCoordinator.Rejected rj
                    ? failed(rj.rejection())
                    : CompletableFuture.completedFuture(r));
  }

  private static GroupAssignment toAssignment(String groupId, GroupCoordinator.Reply reply) {
    GroupCoordinator.Assignment a = (GroupCoordinator.Assignment) reply;
    return new GroupAssignment(groupId, a.memberId(), a.generation(), a.partitions(), a.rebalancing());
  }

  private CompletableFuture<Void> registerGroup(String groupId) {
    if (groupId == null || groupId.isBlank() || registeredGroups.contains(groupId)) {
      return CompletableFuture.completedFuture(null);
    }
    return this.<TopicRegistry.Command, TopicRegistry.Reply>ask(
            registry(),
            replyTo -> new TopicRegistry.RegisterGroup(groupId, replyTo),
            settings.askTimeout())
        .thenAccept(r -> registeredGroups.add(groupId));
  }

  @Override
  public CompletionStage<GroupAssignment> joinGroup(
      String groupId, String memberId, List<String> topics, ConsumerSettings consumer) {
    if (topics == null || topics.isEmpty()) {
      return invalid("invalid_request", "subscribe to at least one topic");
    }
    for (String topic : topics) {
      Rejection bad = TopicRegistry.validateName(topic);
      if (bad != null) {
        return failed(bad);
      }
    }
    List<String> subscribed = List.copyOf(topics);
    return registerGroup(groupId)
        .thenCompose(
            v ->
                this.<TopicRegistry.Command, TopicRegistry.Reply>ask(
                    registry(),
                    replyTo -> new TopicRegistry.GetPartitionCounts(subscribed, replyTo),
                    settings.askTimeout()))
        .thenCompose(
            counts ->
                askGroup(
                    groupId,
                    replyTo ->
                        new GroupCoordinator.Join(
                            memberId == null ? "" : memberId,
                            consumer.clientId(),
                            subscribed,
                            consumer.assignor(),
                            consumer.sessionTimeout().toMillis(),
                            ((TopicRegistry.PartitionCounts) counts).counts(),
                            replyTo)))
        .thenApply(r -> toAssignment(groupId, r));
  }

  @Override
  public CompletionStage<GroupAssignment> heartbeat(
      String groupId, String memberId, int generation) {
    return askGroup(groupId, replyTo -> new GroupCoordinator.Heartbeat(memberId, generation, replyTo))
        .thenApply(r -> toAssignment(groupId, r));
  }

  @Override
  public CompletionStage<Done> leaveGroup(String groupId, String memberId) {
    memberSessions.remove(groupId + "\u0000" + memberId);
    return askGroup(groupId, replyTo -> new GroupCoordinator.Leave(memberId, replyTo))
        .thenApply(r -> Done.getInstance());
  }

  @Override
  public CompletionStage<Done> commitOffsets(
      String groupId, String memberId, int generation,
      Map<TopicPartition, OffsetAndMetadata> offsets) {
    Map<TopicPartition, OffsetAndMetadata> copy = Map.copyOf(offsets);
    if (memberId == null || memberId.isEmpty()) {
      // A standalone consumer's group is listed like any other.
      registerGroup(groupId);
    }
    return askGroup(
            groupId,
            replyTo ->
                new GroupCoordinator.Commit(
                    memberId == null ? "" : memberId, generation, copy, replyTo))
        .thenApply(r -> Done.getInstance());
  }

  @Override
  public CompletionStage<Map<TopicPartition, OffsetAndMetadata>> committedOffsets(String groupId) {
    return askGroup(groupId, GroupCoordinator.GetOffsets::new)
        .thenApply(r -> ((GroupCoordinator.Offsets) r).offsets());
  }

  @Override
  public CompletionStage<GroupDescription> describeGroup(String groupId) {
    return askGroup(groupId, GroupCoordinator.Describe::new)
        .thenCompose(
            r -> {
              GroupCoordinator.Description d = (GroupCoordinator.Description) r;
              Map<TopicPartition, OffsetAndMetadata> committed = new TreeMap<>(d.offsets());
              Set<TopicPartition> partitions = new java.util.TreeSet<>(committed.keySet());
              d.members().forEach(m -> partitions.addAll(m.target()));
              Map<TopicPartition, CompletableFuture<Long>> ends = new LinkedHashMap<>();
              for (TopicPartition tp : partitions) {
                ends.put(tp, offsets(tp).thenApply(o -> o[1]).exceptionally(e -> -1L));
              }
              return CompletableFuture.allOf(ends.values().toArray(CompletableFuture[]::new))
                  .thenApply(
                      v -> {
                        List<GroupDescription.PartitionOffset> offsets = new ArrayList<>();
                        ends.forEach(
                            (tp, end) -> {
                              OffsetAndMetadata c = committed.get(tp);
                              long logEnd = end.join();
                              long lag =
                                  c == null || logEnd < 0 ? -1 : Math.max(0, logEnd - c.offset());
                              offsets.add(
                                  new GroupDescription.PartitionOffset(
                                      tp, c == null ? -1 : c.offset(),
                                      c == null ? "" : c.metadata(), logEnd, lag));
                            });
                        List<GroupDescription.Member> members = new ArrayList<>();
                        d.members()
                            .forEach(
                                m ->
                                    members.add(
                                        new GroupDescription.Member(
                                            m.memberId(), m.clientId(), m.topics(), m.owned())));
                        return new GroupDescription(
                            groupId, d.state(), d.generation(), d.assignor(),
                            List.copyOf(members), List.copyOf(offsets));
                      });
            });
  }

  @Override
  public CompletionStage<List<String>> listGroups() {
    return this.<TopicRegistry.Command, TopicRegistry.Reply>ask(
            registry(), TopicRegistry.ListGroups::new, settings.askTimeout())
        .thenApply(r -> ((TopicRegistry.Names) r).names());
  }

  @Override
  public CompletionStage<List<ConsumerRecord>> pollMember(
      String groupId, String memberId, ConsumerSettings consumer, Duration maxWait) {
    if (memberId == null || memberId.isBlank()) {
      return invalid("invalid_request", "a member id is required");
    }
    String key = groupId + "\u0000" + memberId;
    GroupConsumerImpl session =
        memberSessions.computeIfAbsent(
            key, k -> GroupConsumerImpl.attach(this, groupId, memberId, consumer));
    return session
        .poll(maxWait)
        .whenComplete(
            (records, failure) -> {
              if (failure != null
                  && translate(failure, groupId) instanceof LogException e
                  && e.code().equals("unknown_member_id")) {
                memberSessions.remove(key);
              }
            });
  }

  /** Forgets member sessions not polled for longer than the longest session timeout. */
  private void evictIdleSessions() {
    long idle = settings.maxSessionTimeout().toNanos();
    long now = System.nanoTime();
    memberSessions.entrySet().removeIf(e -> now - e.getValue().lastPollNanos() > idle);
  }

  @Override
  public GroupConsumer groupConsumer(
      String groupId, List<String> topics, ConsumerSettings consumer) {
    return new GroupConsumerImpl(this, groupId, List.copyOf(topics), consumer);
  }
}
