package dev.cohort.log;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Cohort's stream log: Kafka-like topics of ordered, durable partitions, producers, consumers and
 * consumer groups, served by sharded event-sourced entities. Obtain one with {@link
 * StreamLogService#start}.
 *
 * <p>Every method is asynchronous and thread-safe; a failed stage carries a {@link LogException}
 * with a stable code (see its class comment). Validation happens here and again in the entities: a
 * rejected request writes nothing.
 */
public interface StreamLog {

  // ---- topics ----

  /**
   * Creates a topic with {@code partitions} (1 to {@code cohort.log.max-partitions}) and
   * Kafka-named {@code configs} over the defaults of {@code cohort.log.topic-defaults}.
   */
  CompletionStage<TopicDescription> createTopic(
      String name, int partitions, Map<String, String> configs);

  /** Names of all topics, sorted. */
  CompletionStage<List<String>> listTopics();

  /**
   * A topic's configuration and per-partition offsets and sizes; {@code
   * unknown_topic_or_partition}.
   */
  CompletionStage<TopicDescription> describeTopic(String name);

  /** Applies Kafka-named config overrides to an existing topic. */
  CompletionStage<TopicDescription> alterTopicConfigs(String name, Map<String, String> configs);

  /** Raises the partition count to {@code totalPartitions}; partitions are never removed. */
  CompletionStage<TopicDescription> createPartitions(String name, int totalPartitions);

  /** Deletes a topic and all its records (journal events and snapshots are deleted). */
  CompletionStage<Done> deleteTopic(String name);

  // ---- producing ----

  /** A new producer with the node's default producer settings. Close it when done. */
  Producer producer();

  /** A new producer with these settings. Close it when done. */
  Producer producer(ProducerSettings settings);

  /**
   * Sends records as one request with {@code acks=all}, one batch per partition, without client
   * batching or retries: the shape of an HTTP produce request. Answers one result per record, in
   * request order.
   */
  CompletionStage<List<RecordMetadata>> send(String topic, List<ProducerRecord> records);

  /**
   * {@link #send(String, List)} with {@code acks}: {@code ALL} and {@code LEADER} answer after the
   * journal write (they are the same in Cohort); {@code NONE} answers at once with offset -1 and
   * reports no failure.
   */
  CompletionStage<List<RecordMetadata>> send(
      String topic, List<ProducerRecord> records, ProducerSettings.Acks acks);

  /**
   * Kafka's InitProducerId, for clients that number their own batches (the gateway's HTTP
   * producers): {@code current} null gives a new producer id with epoch 0; the caller's current id
   * and epoch give the same id with the next epoch (KIP-360), whose batches start again at sequence
   * 0 on every partition and fence the older epoch. The embedded {@link Producer} gets its id the
   * same way.
   */
  CompletionStage<ProducerIdAndEpoch> initProducerId(ProducerIdAndEpoch current);

  /**
   * Sends {@code records} as one idempotent batch to one partition, numbered from {@code
   * baseSequence} in {@code producer}'s sequence for that partition and epoch ({@code acks=all}, no
   * retries: the caller retries). The partition checks it as it checks the embedded producer's
   * batches: a batch it already wrote (the same id, epoch, first and last sequence, among the
   * producer's last 5 batches) is answered with its original offsets and not written again; a
   * sequence that does not follow the last written one fails with {@code out_of_order_sequence}, an
   * epoch older than the newest stored with {@code invalid_producer_epoch}, a sequence above 0 from
   * an id the partition does not know with {@code unknown_producer_id}. A record naming another
   * partition fails with {@code invalid_request}.
   */
  CompletionStage<List<RecordMetadata>> send(
      String topic,
      int partition,
      ProducerIdAndEpoch producer,
      int baseSequence,
      List<ProducerRecord> records);

  /**
   * Appends one Kafka record batch (v2, magic 2, as a Kafka producer sends it) to one partition and
   * stores it as it is: its CRC is checked, the partition assigns its offsets (rewriting its base
   * offset, which the CRC does not cover) and, on {@code LogAppendTime} topics, its append time;
   * its records are not decoded and its compression is kept (unless the topic's {@code
   * compression.type} names another codec: then it is recompressed, as Kafka does). A batch with a
   * producer id is checked as the sequenced {@link #send(String, int, ProducerIdAndEpoch, int,
   * List)} checks its batches, with the id, epoch and base sequence of its header (a retry is
   * answered with the first offsets). Answers the batch's first offset and, as the timestamp, its
   * append time (-1 on {@code CreateTime} topics); with {@code acks} {@code NONE}, offset -1 at
   * once. A batch that is not one valid v2 batch, is transactional or holds no records fails with
   * {@code invalid_record} and writes nothing.
   */
  CompletionStage<RecordMetadata> appendBatch(
      String topic, int partition, byte[] batch, ProducerSettings.Acks acks);

  // ---- consuming ----

  /**
   * Reads from {@code offset} of one partition, waiting up to {@code fetch.max.wait.ms} at the log
   * end; at most {@code max.poll.records} records and about {@code fetch.max.bytes}. An offset
   * outside [logStartOffset, logEndOffset] fails with {@code offset_out_of_range}.
   */
  CompletionStage<FetchResult> fetch(
      String topic, int partition, long offset, ConsumerSettings settings);

  /**
   * Reads whole stored record batches from {@code offset} of one partition without decoding them
   * (the Kafka listener's fetch): at least the batch holding {@code offset} when there is one, then
   * more while they fit in {@code maxBytes}; waits up to {@code maxWait} at the log end. Offsets
   * outside [logStartOffset, logEndOffset] fail with {@code offset_out_of_range}.
   */
  CompletionStage<FetchedBatches> fetchBatches(
      String topic, int partition, long offset, int maxBytes, java.time.Duration maxWait);

  /** {@link #fetch} with the node's default consumer settings. */
  CompletionStage<FetchResult> fetch(String topic, int partition, long offset);

  /**
   * An endless, backpressured stream of one partition from {@code offset} (negative: resolve by
   * {@code auto.offset.reset}); a fetch is issued only when downstream demands. Out-of-range
   * positions reset by {@code auto.offset.reset}, or fail the stream when it is {@code none}.
   */
  Source<ConsumerRecord, NotUsed> source(
      String topic, int partition, long offset, ConsumerSettings settings);

  /** The node's default consumer settings ({@code cohort.log.consumer}). */
  ConsumerSettings consumerSettings();

  /** The node's default producer settings ({@code cohort.log.producer}). */
  ProducerSettings producerSettings();

  // ---- consumer groups (the protocol, for gateways) ----

  /**
   * Joins {@code groupId} (memberId null for a new member) subscribing to {@code topics}; answers
   * the member id, the generation and the member's assignment.
   */
  CompletionStage<GroupAssignment> joinGroup(
      String groupId, String memberId, List<String> topics, ConsumerSettings settings);

  /** Keeps a member alive; answers the current generation and the member's assignment. */
  CompletionStage<GroupAssignment> heartbeat(String groupId, String memberId, int generation);

  /** Removes a member; its partitions move to the others. */
  CompletionStage<Done> leaveGroup(String groupId, String memberId);

  /**
   * Commits offsets for a member of generation {@code generation}; {@code illegal_generation} when
   * the group has moved on, {@code unknown_member_id} for an unknown member. A member id of null
   * commits as a standalone consumer (only allowed while the group has no members).
   */
  CompletionStage<Done> commitOffsets(
      String groupId,
      String memberId,
      int generation,
      Map<TopicPartition, OffsetAndMetadata> offsets);

  /**
   * Deletes the group's committed offsets of {@code partitions} (Kafka's OffsetDelete); {@code
   * non_empty_group} while the group has members.
   */
  CompletionStage<Done> deleteOffsets(
      String groupId, java.util.Collection<TopicPartition> partitions);

  /**
   * Deletes a group without members: its committed offsets, and its id from {@link #listGroups}
   * (Kafka's DeleteGroups); {@code non_empty_group} while it has members.
   */
  CompletionStage<Done> deleteGroup(String groupId);

  /** The group's committed offsets. */
  CompletionStage<Map<TopicPartition, OffsetAndMetadata>> committedOffsets(String groupId);

  /** State, members, assignment, committed offsets and lag per partition. */
  CompletionStage<GroupDescription> describeGroup(String groupId);

  /** Ids of groups known on this node or created through it, sorted. */
  CompletionStage<List<String>> listGroups();

  /**
   * Reads for a member that joined with {@link #joinGroup} (the shape of the gateway's {@code GET
   * /v1/groups/{g}/members/{m}/records}): heartbeats for the member, follows its assignment and
   * reads from its positions, which this node keeps between calls (the committed offset or {@code
   * auto.offset.reset} at first). At most {@code max.poll.records}; waits up to {@code maxWait}
   * when nothing is there. Commit with {@link #commitOffsets}; with {@code enable.auto.commit}
   * positions are committed every {@code auto.commit.interval.ms}. Fails with {@code
   * unknown_member_id} once the member is gone.
   */
  CompletionStage<List<ConsumerRecord>> pollMember(
      String groupId, String memberId, ConsumerSettings settings, java.time.Duration maxWait);

  /**
   * A group consumer that joins {@code groupId}, heartbeats, follows rebalances and fetches from
   * its assigned partitions. Close it to leave the group.
   */
  GroupConsumer groupConsumer(String groupId, List<String> topics, ConsumerSettings settings);
}
