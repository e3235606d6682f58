package dev.cohort.kafka;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import dev.cohort.kafka.internal.Acceptor;
import dev.cohort.kafka.internal.KafkaApis;
import dev.cohort.log.StreamLog;
import dev.cohort.security.Security;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * A node's Kafka wire-protocol listener: Kafka clients, Kafka's tools and kcat produce, fetch, form
 * consumer groups and administer topics over the node's {@link StreamLog}, authenticated by
 * SASL/PLAIN against the node's {@link Security} and checked against the same roles as HTTP. It
 * owns the listening socket and every client connection; it stops accepting and closes them in the
 * actor system's coordinated shutdown (phase {@code service-unbind}), or on {@link #close()}.
 */
public final class KafkaListener implements AutoCloseable {
  private final Acceptor acceptor;

  private KafkaListener(Acceptor acceptor) {
    this.acceptor = acceptor;
  }

  /**
   * Binds {@code settings.host():settings.port()} and starts accepting. Call only when {@link
   * KafkaSettings#enabled()}.
   *
   * @throws UncheckedIOException when the port cannot be bound
   */
  public static KafkaListener start(
      ActorSystem<?> system, KafkaSettings settings, StreamLog log, Security security) {
    if (!settings.enabled()) {
      throw new IllegalArgumentException("cohort.kafka.port is 0: the Kafka listener is off");
    }
    Acceptor acceptor;
    try {
      acceptor = Acceptor.bind(settings, new KafkaApis(system, settings, log, security));
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot bind the Kafka listener to " + settings.host() + ":" + settings.port(), e);
    }
    KafkaListener listener = new KafkaListener(acceptor);
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseServiceUnbind(),
            "kafka-listener-close",
            () -> {
              listener.close();
              return CompletableFuture.completedFuture(Done.getInstance());
            });
    return listener;
  }

  /**
   * {@code config} with this node's Kafka endpoint ({@code advertised-host:port}) added to its
   * cluster roles, so that every node can name it as a partition's leader in Metadata answers.
   * Apply it to the configuration the actor system is created with; unchanged when the listener is
   * off.
   */
  public static Config withEndpointRole(Config config) {
    KafkaSettings settings = KafkaSettings.create(config);
    if (!settings.enabled()) {
      return config;
    }
    List<String> roles = new ArrayList<>(config.getStringList("pekko.cluster.roles"));
    roles.add(Acceptor.endpointRole(settings));
    return config.withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(roles));
  }

  /** Where the listener accepts connections (the bound port, also when 0 was not asked for). */
  public InetSocketAddress address() {
    return acceptor.address();
  }

  /** Stops accepting and closes every connection. Idempotent. */
  @Override
  public void close() {
    acceptor.close();
  }
}
