package dev.cohort.gateway;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The HTTP gateway's settings, read from {@code cohort.gateway}.
 *
 * @param host interface to bind
 * @param port TCP port; 0 picks a free one
 * @param maxBodyBytes largest request body accepted; larger bodies get 413
 * @param shutdownDeadline how long in-flight requests may finish when the node shuts down
 * @param tls HTTPS and client certificates
 */
public record GatewaySettings(
    String host, int port, long maxBodyBytes, Duration shutdownDeadline, GatewayTlsSettings tls) {

  public static GatewaySettings create(Config config) {
    Config c = config.getConfig("cohort.gateway");
    return new GatewaySettings(
        c.getString("host"),
        c.getInt("port"),
        c.getBytes("max-body-bytes"),
        c.getDuration("shutdown-deadline"),
        GatewayTlsSettings.create(config));
  }
}
