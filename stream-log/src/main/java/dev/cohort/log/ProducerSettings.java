package dev.cohort.log;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * Producer settings under Kafka's names, read from {@code cohort.log.producer} (see {@code
 * reference.conf}) and overridable per producer with {@link #with(Map)}.
 *
 * @param acks {@code acks}: {@code 0} answers at once, {@code 1} and {@code all} after the batch's
 *     journal write completed (the same in Cohort: the journal database is the replication)
 * @param linger {@code linger.ms}: how long a partition's batch waits for more records
 * @param batchSize {@code batch.size}: bytes after which a partition's batch is sent at once
 * @param maxInFlight {@code max.in.flight.requests.per.connection}: unanswered batches per
 *     partition (at most 5 with idempotence)
 * @param deliveryTimeout {@code delivery.timeout.ms}: upper bound from send to its outcome
 * @param requestTimeout {@code request.timeout.ms}: how long one attempt waits for its answer
 * @param retries {@code retries}: attempts after the first before a batch fails
 * @param retryBackoff {@code retry.backoff.ms}: first wait before a retry, doubled per attempt
 * @param retryBackoffMax {@code retry.backoff.max.ms}: the longest wait between retries
 * @param enableIdempotence {@code enable.idempotence}: producer id and sequence numbers so that a
 *     retried batch is written once and in order
 * @param compressionType {@code compression.type} used when the topic says {@code producer}
 * @param clientId {@code client.id}: shows in logs
 */
public record ProducerSettings(
    Acks acks,
    Duration linger,
    int batchSize,
    int maxInFlight,
    Duration deliveryTimeout,
    Duration requestTimeout,
    int retries,
    Duration retryBackoff,
    Duration retryBackoffMax,
    boolean enableIdempotence,
    TopicConfig.CompressionType compressionType,
    String clientId) {

  /** {@code acks}. */
  public enum Acks {
    NONE("0"),
    LEADER("1"),
    ALL("all");

    private final String kafkaName;

    Acks(String kafkaName) {
      this.kafkaName = kafkaName;
    }

    public String kafkaName() {
      return kafkaName;
    }

    public static Acks parse(String text) {
      return switch (text.strip().toLowerCase(Locale.ROOT)) {
        case "0" -> NONE;
        case "1" -> LEADER;
        case "all", "-1" -> ALL;
        default ->
            throw LogError.INVALID_CONFIG.exception(
                "acks = '" + text + "' is invalid: expected 0, 1 or all");
      };
    }
  }

  public ProducerSettings {
    if (enableIdempotence && (maxInFlight > 5 || acks != Acks.ALL)) {
      throw LogError.INVALID_CONFIG.exception(
          "enable.idempotence needs acks=all and max.in.flight.requests.per.connection <= 5");
    }
    if (maxInFlight < 1 || batchSize < 1 || retries < 0) {
      throw LogError.INVALID_CONFIG.exception(
          "max.in.flight.requests.per.connection and batch.size must be positive, retries >= 0");
    }
  }

  /** Reads a section holding Kafka-named keys, such as {@code cohort.log.producer}. */
  public static ProducerSettings create(Config c) {
    try {
      return new ProducerSettings(
          Acks.parse(c.getString("acks")),
          Duration.ofMillis(c.getLong("linger.ms")),
          c.getInt("batch.size"),
          c.getInt("max.in.flight.requests.per.connection"),
          Duration.ofMillis(c.getLong("delivery.timeout.ms")),
          Duration.ofMillis(c.getLong("request.timeout.ms")),
          c.getInt("retries"),
          Duration.ofMillis(c.getLong("retry.backoff.ms")),
          Duration.ofMillis(c.getLong("retry.backoff.max.ms")),
          c.getBoolean("enable.idempotence"),
          TopicConfig.CompressionType.parse(c.getString("compression.type")),
          c.getString("client.id"));
    } catch (com.typesafe.config.ConfigException e) {
      throw LogError.INVALID_CONFIG.exception(e.getMessage(), e);
    }
  }

  /** These settings with Kafka-named overrides, such as {@code Map.of("acks", "1")}. */
  public ProducerSettings with(Map<String, String> overrides) {
    return create(ConfigFactory.parseMap(overrides).withFallback(toConfig()));
  }

  private Config toConfig() {
    return ConfigFactory.parseMap(
        Map.ofEntries(
            Map.entry("acks", acks.kafkaName()),
            Map.entry("linger.ms", linger.toMillis()),
            Map.entry("batch.size", batchSize),
            Map.entry("max.in.flight.requests.per.connection", maxInFlight),
            Map.entry("delivery.timeout.ms", deliveryTimeout.toMillis()),
            Map.entry("request.timeout.ms", requestTimeout.toMillis()),
            Map.entry("retries", retries),
            Map.entry("retry.backoff.ms", retryBackoff.toMillis()),
            Map.entry("retry.backoff.max.ms", retryBackoffMax.toMillis()),
            Map.entry("enable.idempotence", enableIdempotence),
            Map.entry("compression.type", compressionType.kafkaName()),
            Map.entry("client.id", clientId)));
  }
}
