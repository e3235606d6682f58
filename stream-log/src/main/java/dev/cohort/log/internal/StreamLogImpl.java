package dev.cohort.log.internal;

import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.ConsumerSettings;
import dev.cohort.log.FetchResult;
import dev.cohort.log.FetchedBatches;
import dev.cohort.log.GroupAssignment;
import dev.cohort.log.GroupConsumer;
import dev.cohort.log.GroupDescription;
import dev.cohort.log.OffsetAndMetadata;
import dev.cohort.log.Producer;
import dev.cohort.log.ProducerIdAndEpoch;
import dev.cohort.log.ProducerRecord;
import dev.cohort.log.ProducerSettings;
import dev.cohort.log.RecordMetadata;
import dev.cohort.log.StreamLog;
import dev.cohort.log.TopicDescription;
import dev.cohort.log.TopicPartition;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The embedded {@link StreamLog}: initialises the three entity types on this node's Cluster
 * Sharding and hands each call to the client that owns it — {@link TopicAdmin} (topics), {@link
 * ProduceClient} (producers and sends), {@link FetchClient} (fetches and sources), {@link
 * GroupClient} (consumer groups) — which share this node's {@link TopicMetadataCache} and reach the
 * entities through {@link EntityAsks}. Also runs the node's periodic retention sweep and lag
 * refresh. Holds no state of its own besides them; thread-safe.
 */
public final class StreamLogImpl implements StreamLog {
  private final ActorSystem<?> system;
  private final LogSettings settings;
  private final EntityAsks asks;
  private final TopicAdmin admin;
  private final ProduceClient produce;
  private final FetchClient fetch;
  private final GroupClient groups;

  private StreamLogImpl(ActorSystem<?> system, LogSettings settings) {
    this.system = system;
    this.settings = settings;
    this.asks = new EntityAsks(system, settings);
    TopicMetadataCache metadata = new TopicMetadataCache(asks);
    LogMetrics.get(system).knownTopics(metadata::partitionCounts);
    this.admin = new TopicAdmin(asks, metadata);
    this.produce = new ProduceClient(asks, metadata, admin);
    this.fetch = new FetchClient(asks, metadata, admin);
    this.groups = new GroupClient(asks, admin);
  }

  /** Initialises the entity types on {@code system} (which must be a cluster member). */
  public static StreamLogImpl start(ActorSystem<?> system) {
    LogSettings settings = LogSettings.create(system.settings().config());
    TopicRegistry.init(system, settings);
    PartitionEntity.init(system, settings);
    GroupCoordinator.init(system, settings);
    StreamLogImpl log = new StreamLogImpl(system, settings);
    Duration every = settings.retentionCheckInterval();
    Cancellable sweep =
        system
            .scheduler()
            .scheduleWithFixedDelay(every, every, log::sweep, system.executionContext());
    Duration lagEvery = settings.lagRefreshInterval();
    Cancellable lagRefresh =
        system
            .scheduler()
            .scheduleWithFixedDelay(
                lagEvery,
                lagEvery,
                log.groups::refreshRemoteLogEndOffsets,
                system.executionContext());
    // Stop sweeping before sharding hands partitions off, or the sweep would keep waking them.
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeServiceUnbind(),
            "stop-log-retention-sweep",
            () -> {
              sweep.cancel();
              lagRefresh.cancel();
              return CompletableFuture.completedFuture(Done.getInstance());
            });
    return log;
  }

  /** The periodic sweep: idle member sessions, then retention of every topic. */
  private void sweep() {
    groups.evictIdleSessions();
    admin.sweepRetention();
  }

  public LogSettings settings() {
    return settings;
  }

  ActorSystem<?> system() {
    return system;
  }

  EntityRef<PartitionEntity.Command> partition(TopicPartition tp) {
    return asks.partition(tp);
  }

  // ---- topics ----

  @Override
  public CompletionStage<TopicDescription> createTopic(
      String name, int partitions, Map<String, String> configs) {
    return admin.createTopic(name, partitions, configs);
  }

  @Override
  public CompletionStage<List<String>> listTopics() {
    return admin.listTopics();
  }

  @Override
  public CompletionStage<TopicDescription> describeTopic(String name) {
    return admin.describeTopic(name);
  }

  @Override
  public CompletionStage<TopicDescription> alterTopicConfigs(
      String name, Map<String, String> configs) {
    return admin.alterTopicConfigs(name, configs);
  }

  @Override
  public CompletionStage<TopicDescription> createPartitions(String name, int totalPartitions) {
    return admin.createPartitions(name, totalPartitions);
  }

  @Override
  public CompletionStage<Done> deleteTopic(String name) {
    return admin.deleteTopic(name);
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
    return produce.producer(producerSettings, transport);
  }

  /** The real transport: an ask to the partition entity through Cluster Sharding. */
  public ProduceTransport shardingTransport() {
    return produce.shardingTransport();
  }

  @Override
  public CompletionStage<List<RecordMetadata>> send(String topic, List<ProducerRecord> records) {
    return send(topic, records, ProducerSettings.Acks.ALL);
  }

  @Override
  public CompletionStage<List<RecordMetadata>> send(
      String topic, List<ProducerRecord> records, ProducerSettings.Acks acks) {
    return produce.send(topic, records, acks);
  }

  @Override
  public CompletionStage<ProducerIdAndEpoch> initProducerId(ProducerIdAndEpoch current) {
    return produce.initProducerId(current);
  }

  @Override
  public CompletionStage<List<RecordMetadata>> send(
      String topic,
      int partition,
      ProducerIdAndEpoch producer,
      int baseSequence,
      List<ProducerRecord> records) {
    return produce.send(topic, partition, producer, baseSequence, records);
  }

  @Override
  public CompletionStage<RecordMetadata> appendBatch(
      String topic, int partition, byte[] batch, ProducerSettings.Acks acks) {
    return produce.appendBatch(topic, partition, batch, acks);
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
    return fetch.fetch(topic, partition, offset, consumer, maxWait);
  }

  @Override
  public CompletionStage<FetchedBatches> fetchBatches(
      String topic, int partition, long offset, int maxBytes, Duration maxWait) {
    return fetch.fetchBatches(topic, partition, offset, maxBytes, maxWait);
  }

  /** Where a consumer without a valid position starts, by {@code auto.offset.reset}. */
  CompletableFuture<Long> resetOffset(TopicPartition tp, ConsumerSettings consumer, long wanted) {
    return fetch.resetOffset(tp, consumer, wanted);
  }

  @Override
  public Source<ConsumerRecord, NotUsed> source(
      String topic, int partition, long offset, ConsumerSettings consumer) {
    return fetch.source(topic, partition, offset, consumer);
  }

  // ---- groups ----

  @Override
  public CompletionStage<GroupAssignment> joinGroup(
      String groupId, String memberId, List<String> topics, ConsumerSettings consumer) {
    return groups.joinGroup(groupId, memberId, topics, consumer);
  }

  @Override
  public CompletionStage<GroupAssignment> heartbeat(
      String groupId, String memberId, int generation) {
    return groups.heartbeat(groupId, memberId, generation);
  }

  @Override
  public CompletionStage<Done> leaveGroup(String groupId, String memberId) {
    return groups.leaveGroup(groupId, memberId);
  }

  @Override
  public CompletionStage<Done> commitOffsets(
      String groupId,
      String memberId,
      int generation,
      Map<TopicPartition, OffsetAndMetadata> offsets) {
    return groups.commitOffsets(groupId, memberId, generation, offsets);
  }

  @Override
  public CompletionStage<Done> deleteOffsets(
      String groupId, java.util.Collection<TopicPartition> partitions) {
    return groups.deleteOffsets(groupId, partitions);
  }

  @Override
  public CompletionStage<Done> deleteGroup(String groupId) {
    return groups.deleteGroup(groupId);
  }

  @Override
  public CompletionStage<Map<TopicPartition, OffsetAndMetadata>> committedOffsets(String groupId) {
    return groups.committedOffsets(groupId);
  }

  @Override
  public CompletionStage<GroupDescription> describeGroup(String groupId) {
    return groups.describeGroup(groupId);
  }

  @Override
  public CompletionStage<List<String>> listGroups() {
    return groups.listGroups();
  }

  @Override
  public CompletionStage<List<ConsumerRecord>> pollMember(
      String groupId, String memberId, ConsumerSettings consumer, Duration maxWait) {
    return groups.pollMember(this, groupId, memberId, consumer, maxWait);
  }

  @Override
  public GroupConsumer groupConsumer(
      String groupId, List<String> topics, ConsumerSettings consumer) {
    return new GroupConsumerImpl(this, groupId, List.copyOf(topics), consumer);
  }
}
