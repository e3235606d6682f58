package dev.cohort.log;

import dev.cohort.persistence.CohortSerializable;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A topic's configuration, under Kafka's names. Created from the defaults in {@code
 * cohort.log.topic-defaults} overridden by the {@code configs} map of a create or alter request;
 * {@link #toMap()} gives the Kafka-named view.
 *
 * @param retentionMs {@code retention.ms}: how long a batch is kept after its newest timestamp; -1
 *     keeps forever
 * @param retentionBytes {@code retention.bytes}: the most bytes a partition keeps; -1 is unlimited
 * @param cleanupPolicy {@code cleanup.policy}: {@code delete}, {@code compact} or {@code
 *     compact,delete}
 * @param compressionType {@code compression.type}: {@code none}, {@code snappy}, {@code lz4},
 *     {@code zstd} or {@code producer} (keep what the producer chose)
 * @param maxMessageBytes {@code max.message.bytes}: the largest batch (after compression) a
 *     partition accepts
 * @param timestampType {@code message.timestamp.type}: {@code CreateTime} or {@code LogAppendTime}
 * @param minInsyncReplicas {@code min.insync.replicas}: accepted for compatibility; Cohort's
 *     durability is the journal database's (see the README)
 * @param deleteRetentionMs {@code delete.retention.ms}: how long tombstones survive compaction
 * @param minCleanableDirtyRatio {@code min.cleanable.dirty.ratio}: the share of a compacted
 *     partition written since its last compaction that triggers the next one
 */
public record TopicConfig(
    long retentionMs,
    long retentionBytes,
    CleanupPolicy cleanupPolicy,
    CompressionType compressionType,
    int maxMessageBytes,
    TimestampType timestampType,
    int minInsyncReplicas,
    long deleteRetentionMs,
    double minCleanableDirtyRatio)
    implements CohortSerializable {

  public static final String RETENTION_MS = "retention.ms";
  public static final String RETENTION_BYTES = "retention.bytes";
  public static final String CLEANUP_POLICY = "cleanup.policy";
  public static final String COMPRESSION_TYPE = "compression.type";
  public static final String MAX_MESSAGE_BYTES = "max.message.bytes";
  public static final String MESSAGE_TIMESTAMP_TYPE = "message.timestamp.type";
  public static final String MIN_INSYNC_REPLICAS = "min.insync.replicas";
  public static final String DELETE_RETENTION_MS = "delete.retention.ms";
  public static final String MIN_CLEANABLE_DIRTY_RATIO = "min.cleanable.dirty.ratio";

  /** {@code cleanup.policy}. Written by ordinal: add constants only at the end. */
  public enum CleanupPolicy implements CohortSerializable {
    DELETE("delete"),
    COMPACT("compact"),
    COMPACT_DELETE("compact,delete");

    private final String kafkaName;

    CleanupPolicy(String kafkaName) {
      this.kafkaName = kafkaName;
    }

    public String kafkaName() {
      return kafkaName;
    }

    public boolean compacts() {
      return this != DELETE;
    }

    public boolean deletes() {
      return this != COMPACT;
    }

    static CleanupPolicy parse(String text) {
      String normalized = text.replace(" ", "").toLowerCase(Locale.ROOT);
      return switch (normalized) {
        case "delete" -> DELETE;
        case "compact" -> COMPACT;
        case "compact,delete", "delete,compact" -> COMPACT_DELETE;
        default -> throw bad(CLEANUP_POLICY, text, "delete, compact or compact,delete");
      };
    }
  }

  /** {@code compression.type}. Written by ordinal: add constants only at the end. */
  public enum CompressionType implements CohortSerializable {
    NONE,
    SNAPPY,
    LZ4,
    ZSTD,
    PRODUCER;

    public String kafkaName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static CompressionType parse(String text) {
      for (CompressionType type : values()) {
        if (type.kafkaName().equals(text.strip().toLowerCase(Locale.ROOT))) {
          return type;
        }
      }
      throw bad(COMPRESSION_TYPE, text, "none, snappy, lz4, zstd or producer");
    }
  }

  /** {@code message.timestamp.type}. Written by ordinal: add constants only at the end. */
  public enum TimestampType implements CohortSerializable {
    CREATE_TIME("CreateTime"),
    LOG_APPEND_TIME("LogAppendTime");

    private final String kafkaName;

    TimestampType(String kafkaName) {
      this.kafkaName = kafkaName;
    }

    public String kafkaName() {
      return kafkaName;
    }

    static TimestampType parse(String text) {
      for (TimestampType type : values()) {
        if (type.kafkaName.equalsIgnoreCase(text.strip())) {
          return type;
        }
      }
      throw bad(MESSAGE_TIMESTAMP_TYPE, text, "CreateTime or LogAppendTime");
    }
  }

  /**
   * This configuration with {@code overrides} (Kafka names to text values) applied; an unknown name
   * or a value out of range fails with {@code invalid_config}.
   */
  public TopicConfig with(Map<String, String> overrides) {
    TopicConfig c = this;
    for (Map.Entry<String, String> entry : overrides.entrySet()) {
      String value = entry.getValue() == null ? "" : entry.getValue().strip();
      c =
          switch (entry.getKey()) {
            case RETENTION_MS ->
                c.withRetentionMs(parseLong(RETENTION_MS, value, -1, Long.MAX_VALUE));
            case RETENTION_BYTES ->
                c.withRetentionBytes(parseLong(RETENTION_BYTES, value, -1, Long.MAX_VALUE));
            case CLEANUP_POLICY -> c.withCleanupPolicy(CleanupPolicy.parse(value));
            case COMPRESSION_TYPE -> c.withCompressionType(CompressionType.parse(value));
            case MAX_MESSAGE_BYTES ->
                c.withMaxMessageBytes(
                    (int) parseLong(MAX_MESSAGE_BYTES, value, 64, Integer.MAX_VALUE));
            case MESSAGE_TIMESTAMP_TYPE -> c.withTimestampType(TimestampType.parse(value));
            case MIN_INSYNC_REPLICAS ->
                c.withMinInsyncReplicas((int) parseLong(MIN_INSYNC_REPLICAS, value, 1, 1024));
            case DELETE_RETENTION_MS ->
                c.withDeleteRetentionMs(parseLong(DELETE_RETENTION_MS, value, 0, Long.MAX_VALUE));
            case MIN_CLEANABLE_DIRTY_RATIO -> c.withMinCleanableDirtyRatio(parseRatio(value));
            default ->
                throw LogError.INVALID_CONFIG.exception(
                    "unknown topic config '"
                        + entry.getKey()
                        + "'; known: "
                        + String.join(", ", toMap().keySet()));
          };
    }
    return c;
  }

  /** The configuration under Kafka's names with text values, in a stable order. */
  public Map<String, String> toMap() {
    Map<String, String> map = new LinkedHashMap<>();
    map.put(RETENTION_MS, Long.toString(retentionMs));
    map.put(RETENTION_BYTES, Long.toString(retentionBytes));
    map.put(CLEANUP_POLICY, cleanupPolicy.kafkaName());
    map.put(COMPRESSION_TYPE, compressionType.kafkaName());
    map.put(MAX_MESSAGE_BYTES, Integer.toString(maxMessageBytes));
    map.put(MESSAGE_TIMESTAMP_TYPE, timestampType.kafkaName());
    map.put(MIN_INSYNC_REPLICAS, Integer.toString(minInsyncReplicas));
    map.put(DELETE_RETENTION_MS, Long.toString(deleteRetentionMs));
    map.put(MIN_CLEANABLE_DIRTY_RATIO, Double.toString(minCleanableDirtyRatio));
    return map;
  }

  public TopicConfig withRetentionMs(long v) {
    return new TopicConfig(
        v,
        retentionBytes,
        cleanupPolicy,
        compressionType,
        maxMessageBytes,
        timestampType,
        minInsyncReplicas,
        deleteRetentionMs,
        minCleanableDirtyRatio);
  }

  public TopicConfig withRetentionBytes(long v) {
    return new TopicConfig(
        retentionMs,
        v,
        cleanupPolicy,
        compressionType,
        maxMessageBytes,
        timestampType,
        minInsyncReplicas,
        deleteRetentionMs,
        minCleanableDirtyRatio);
  }

  public TopicConfig withCleanupPolicy(CleanupPolicy v) {
    return new TopicConfig(
        retentionMs,
        retentionBytes,
        v,
        compressionType,
        maxMessageBytes,
        timestampType,
        minInsyncReplicas,
        deleteRetentionMs,
        minCleanableDirtyRatio);
  }

  public TopicConfig withCompressionType(CompressionType v) {
    return new TopicConfig(
        retentionMs,
        retentionBytes,
        cleanupPolicy,
        v,
        maxMessageBytes,
        timestampType,
        minInsyncReplicas,
        deleteRetentionMs,
        minCleanableDirtyRatio);
  }

  public TopicConfig withMaxMessageBytes(int v) {
    return new TopicConfig(
        retentionMs,
        retentionBytes,
        cleanupPolicy,
        compressionType,
        v,
        timestampType,
        minInsyncReplicas,
        deleteRetentionMs,
        minCleanableDirtyRatio);
  }

  public TopicConfig withTimestampType(TimestampType v) {
    return new TopicConfig(
        retentionMs,
        retentionBytes,
        cleanupPolicy,
        compressionType,
        maxMessageBytes,
        v,
        minInsyncReplicas,
        deleteRetentionMs,
        minCleanableDirtyRatio);
  }

  public TopicConfig withMinInsyncReplicas(int v) {
    return new TopicConfig(
        retentionMs,
        retentionBytes,
        cleanupPolicy,
        compressionType,
        maxMessageBytes,
        timestampType,
        v,
        deleteRetentionMs,
        minCleanableDirtyRatio);
  }

  public TopicConfig withDeleteRetentionMs(long v) {
    return new TopicConfig(
        retentionMs,
        retentionBytes,
        cleanupPolicy,
        compressionType,
        maxMessageBytes,
        timestampType,
        minInsyncReplicas,
        v,
        minCleanableDirtyRatio);
  }

  public TopicConfig withMinCleanableDirtyRatio(double v) {
    return new TopicConfig(
        retentionMs,
        retentionBytes,
        cleanupPolicy,
        compressionType,
        maxMessageBytes,
        timestampType,
        minInsyncReplicas,
        deleteRetentionMs,
        v);
  }

  private static long parseLong(String name, String value, long min, long max) {
    long parsed;
    try {
      parsed = Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw bad(name, value, "an integer");
    }
    if (parsed < min || parsed > max) {
      throw bad(name, value, "an integer from " + min + " to " + max);
    }
    return parsed;
  }

  private static double parseRatio(String value) {
    try {
      double parsed = Double.parseDouble(value);
      if (parsed >= 0 && parsed <= 1) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw bad(MIN_CLEANABLE_DIRTY_RATIO, value, "a number from 0 to 1");
  }

  private static LogException bad(String name, String value, String expected) {
    return LogError.INVALID_CONFIG.exception(
        "topic config " + name + " = '" + value + "' is invalid: expected " + expected);
  }
}
