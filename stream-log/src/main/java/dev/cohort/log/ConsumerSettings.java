package dev.cohort.log;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * Consumer settings under Kafka's names, read from {@code cohort.log.consumer} and overridable per
 * consumer with {@link #with(Map)}.
 *
 * @param fetchMaxBytes {@code fetch.max.bytes}: the most bytes one fetch returns (at least one
 *     batch is returned whatever its size, so that a large batch never blocks a consumer)
 * @param maxPollRecords {@code max.poll.records}: the most records one fetch or poll returns
 * @param fetchMaxWait {@code fetch.max.wait.ms}: how long a fetch at the log end waits for data
 * @param autoOffsetReset {@code auto.offset.reset}: where to start without a valid position
 * @param enableAutoCommit {@code enable.auto.commit}: a group consumer commits its positions every
 *     {@code auto.commit.interval.ms} during polls and on close
 * @param autoCommitInterval {@code auto.commit.interval.ms}
 * @param sessionTimeout {@code session.timeout.ms}: a member not heard from for this long is
 *     removed from its group
 * @param heartbeatInterval {@code heartbeat.interval.ms}: how often a group consumer heartbeats
 * @param assignor {@code partition.assignment.strategy}: {@code range}, {@code roundrobin} or
 *     {@code cooperative-sticky}
 * @param clientId {@code client.id}
 */
public record ConsumerSettings(
    int fetchMaxBytes,
    int maxPollRecords,
    Duration fetchMaxWait,
    OffsetReset autoOffsetReset,
    boolean enableAutoCommit,
    Duration autoCommitInterval,
    Duration sessionTimeout,
    Duration heartbeatInterval,
    Assignor assignor,
    String clientId) {

  /** {@code auto.offset.reset}. */
  public enum OffsetReset {
    EARLIEST,
    LATEST,
    NONE;

    public static OffsetReset parse(String text) {
      return switch (text.strip().toLowerCase(Locale.ROOT)) {
        case "earliest" -> EARLIEST;
        case "latest" -> LATEST;
        case "none" -> NONE;
        default ->
            throw LogError.INVALID_CONFIG.exception(
                "auto.offset.reset = '" + text + "' is invalid: expected earliest, latest or none");
      };
    }

    public String kafkaName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** {@code partition.assignment.strategy}. Written by ordinal: add constants only at the end. */
  public enum Assignor implements dev.cohort.persistence.CohortSerializable {
    RANGE("range"),
    ROUND_ROBIN("roundrobin"),
    COOPERATIVE_STICKY("cooperative-sticky");

    private final String kafkaName;

    Assignor(String kafkaName) {
      this.kafkaName = kafkaName;
    }

    public String kafkaName() {
      return kafkaName;
    }

    public static Assignor parse(String text) {
      for (Assignor assignor : values()) {
        if (assignor.kafkaName.equalsIgnoreCase(text.strip())) {
          return assignor;
        }
      }
      throw LogError.INVALID_CONFIG.exception(
          "partition.assignment.strategy = '"
              + text
              + "' is invalid: expected range, roundrobin or cooperative-sticky");
    }
  }

  public ConsumerSettings {
    if (fetchMaxBytes < 1 || maxPollRecords < 1) {
      throw LogError.INVALID_CONFIG.exception(
          "fetch.max.bytes and max.poll.records must be positive");
    }
  }

  /** Reads a section holding Kafka-named keys, such as {@code cohort.log.consumer}. */
  public static ConsumerSettings create(Config c) {
    try {
      return new ConsumerSettings(
          c.getInt("fetch.max.bytes"),
          c.getInt("max.poll.records"),
          Duration.ofMillis(c.getLong("fetch.max.wait.ms")),
          OffsetReset.parse(c.getString("auto.offset.reset")),
          c.getBoolean("enable.auto.commit"),
          Duration.ofMillis(c.getLong("auto.commit.interval.ms")),
          Duration.ofMillis(c.getLong("session.timeout.ms")),
          Duration.ofMillis(c.getLong("heartbeat.interval.ms")),
          Assignor.parse(c.getString("partition.assignment.strategy")),
          c.getString("client.id"));
    } catch (com.typesafe.config.ConfigException e) {
      throw LogError.INVALID_CONFIG.exception(e.getMessage(), e);
    }
  }

  /**
   * These settings with Kafka-named overrides, such as {@code Map.of("max.poll.records", "10")}.
   */
  public ConsumerSettings with(Map<String, String> overrides) {
    return create(ConfigFactory.parseMap(overrides).withFallback(toConfig()));
  }

  private Config toConfig() {
    return ConfigFactory.parseMap(
        Map.ofEntries(
            Map.entry("fetch.max.bytes", fetchMaxBytes),
            Map.entry("max.poll.records", maxPollRecords),
            Map.entry("fetch.max.wait.ms", fetchMaxWait.toMillis()),
            Map.entry("auto.offset.reset", autoOffsetReset.kafkaName()),
            Map.entry("enable.auto.commit", enableAutoCommit),
            Map.entry("auto.commit.interval.ms", autoCommitInterval.toMillis()),
            Map.entry("session.timeout.ms", sessionTimeout.toMillis()),
            Map.entry("heartbeat.interval.ms", heartbeatInterval.toMillis()),
            Map.entry("partition.assignment.strategy", assignor.kafkaName()),
            Map.entry("client.id", clientId)));
  }
}
