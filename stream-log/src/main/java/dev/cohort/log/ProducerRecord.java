package dev.cohort.log;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A record to send. {@code key} and {@code value} may be null (a null value is a tombstone on a
 * compacted topic); {@code partition} null means the partitioner chooses; {@code timestamp} null
 * means the send time.
 */
public record ProducerRecord(
    String topic,
    Integer partition,
    byte[] key,
    byte[] value,
    Map<String, byte[]> headers,
    Long timestamp) {

  public ProducerRecord {
    headers = headers == null ? Map.of() : Map.copyOf(headers);
  }

  public static ProducerRecord of(String topic, byte[] key, byte[] value) {
    return new ProducerRecord(topic, null, key, value, Map.of(), null);
  }

  /** Key and value as UTF-8 text; either may be null. */
  public static ProducerRecord of(String topic, String key, String value) {
    return of(
        topic,
        key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        value == null ? null : value.getBytes(StandardCharsets.UTF_8));
  }

  public ProducerRecord withPartition(int chosen) {
    return new ProducerRecord(topic, chosen, key, value, headers, timestamp);
  }
}
