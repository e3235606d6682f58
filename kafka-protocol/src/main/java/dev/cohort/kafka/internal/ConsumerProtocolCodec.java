package dev.cohort.kafka.internal;

import dev.cohort.log.TopicPartition;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.message.ConsumerProtocolAssignment;
import org.apache.kafka.common.message.ConsumerProtocolSubscription;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.MessageUtil;

/**
 * The "consumer" embedded protocol of the classic group APIs: a member's subscription (in its
 * JoinGroup metadata) and its assignment (in SyncGroup and DescribeGroups answers), each a
 * version-prefixed kafka-clients generated message.
 */
final class ConsumerProtocolCodec {
  static final String PROTOCOL_TYPE = "consumer";
  private static final short ASSIGNMENT_VERSION = 0;
  private static final short SUBSCRIPTION_VERSION = 0;

  private ConsumerProtocolCodec() {}

  /** The subscribed topics; IllegalArgumentException when the metadata does not parse. */
  static List<String> topics(byte[] metadata) {
    try {
      ByteBuffer buffer = ByteBuffer.wrap(metadata);
      short version = buffer.getShort();
      version = (short) Math.min(version, ConsumerProtocolSubscription.HIGHEST_SUPPORTED_VERSION);
      return new ConsumerProtocolSubscription(new ByteBufferAccessor(buffer), version).topics();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("unreadable consumer subscription: " + e.getMessage(), e);
    }
  }

  static byte[] subscription(List<String> topics) {
    ConsumerProtocolSubscription s = new ConsumerProtocolSubscription().setTopics(topics);
    return MessageUtil.toVersionPrefixedBytes(SUBSCRIPTION_VERSION, s);
  }

  static byte[] assignment(List<TopicPartition> partitions) {
    Map<String, List<Integer>> byTopic = new TreeMap<>();
    for (TopicPartition tp : partitions) {
      byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(tp.partition());
    }
    ConsumerProtocolAssignment.TopicPartitionCollection collection =
        new ConsumerProtocolAssignment.TopicPartitionCollection();
    byTopic.forEach(
        (topic, list) ->
            collection.add(
                new ConsumerProtocolAssignment.TopicPartition()
                    .setTopic(topic)
                    .setPartitions(list.stream().sorted().toList())));
    ConsumerProtocolAssignment a =
        new ConsumerProtocolAssignment().setAssignedPartitions(collection);
    return MessageUtil.toVersionPrefixedBytes(ASSIGNMENT_VERSION, a);
  }
}
