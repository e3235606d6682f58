package dev.cohort.kafka;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The Kafka listener's settings, read from {@code cohort.kafka}.
 *
 * @param host interface to bind
 * @param port TCP port; 0 means the listener is off
 * @param advertisedHost the host name Metadata answers give clients ({@code host} when empty)
 * @param maxRequestBytes largest request frame ({@code socket.request.max.bytes})
 * @param maxFetchWait upper bound on a Fetch's {@code max.wait.ms}
 */
public record KafkaSettings(
    String host, int port, String advertisedHost, int maxRequestBytes, Duration maxFetchWait) {

  public KafkaSettings {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("cohort.kafka.port must be 0..65535, got " + port);
    }
    if (maxRequestBytes < 1024) {
      throw new IllegalArgumentException(
          "cohort.kafka.socket.request.max.bytes must be at least 1 KiB, got " + maxRequestBytes);
    }
    advertisedHost = advertisedHost == null || advertisedHost.isBlank() ? host : advertisedHost;
  }

  public static KafkaSettings create(Config config) {
    Config c = config.getConfig("cohort.kafka");
    long maxBytes = c.getBytes("socket.request.max.bytes");
    if (maxBytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "cohort.kafka.socket.request.max.bytes must be below 2 GiB, got " + maxBytes);
    }
    return new KafkaSettings(
        c.getString("host"),
        c.getInt("port"),
        c.getString("advertised-host"),
        (int) maxBytes,
        c.getDuration("max-fetch-wait"));
  }

  /** Whether the listener runs ({@code port} is not 0). */
  public boolean enabled() {
    return port != 0;
  }
}
