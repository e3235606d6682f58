package dev.cohort.log;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** A record read from a partition. {@code key} and {@code value} may be null. */
public record ConsumerRecord(
    String topic,
    int partition,
    long offset,
    long timestamp,
    TopicConfig.TimestampType timestampType,
    byte[] key,
    byte[] value,
    Map<String, byte[]> headers) {

  public String keyString() {
    return key == null ? null : new String(key, StandardCharsets.UTF_8);
  }

  public String valueString() {
    return value == null ? null : new String(value, StandardCharsets.UTF_8);
  }

  public TopicPartition topicPartition() {
    return new TopicPartition(topic, partition);
  }
}
