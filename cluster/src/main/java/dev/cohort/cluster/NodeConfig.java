package dev.cohort.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.cohort.cluster.internal.SharedJournalRule;
import dev.cohort.cluster.tls.NodeTlsSettings;
import dev.cohort.cluster.tls.internal.ArteryTlsEngineProvider;
import dev.cohort.persistence.PersistenceSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Assembles a node's complete configuration. Cohort's own keys ({@code cohort.node.*}, {@code
 * cohort.persistence.*}) are the user-facing ones; the Pekko keys they imply (Artery address, seed
 * nodes, roles, journal plugin) are derived here and sit <em>below</em> the user's configuration,
 * so an operator can still override any Pekko key directly.
 */
public final class NodeConfig {
  private static final Pattern HOST_PORT = Pattern.compile("^[A-Za-z0-9._\\-\\[\\]:]+:\\d{1,5}$");

  private NodeConfig() {}

  /**
   * The full, resolved configuration for a node.
   *
   * @param user the user's settings (overrides and configuration file), unresolved
   * @throws IllegalArgumentException when a setting is invalid, naming the key
   */
  public static Config assemble(Config user) {
    Config reference = user.withFallback(pekkoDefaults()).resolve();
    NodeSettings node = NodeSettings.create(reference);
    PersistenceSettings persistence = PersistenceSettings.create(reference);
    Config derived =
        ConfigFactory.empty()
            .withValue(
                "pekko.remote.artery.canonical.hostname",
                ConfigValueFactory.fromAnyRef(node.host()))
            .withValue(
                "pekko.remote.artery.canonical.port",
                ConfigValueFactory.fromAnyRef(node.remotePort()))
            .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(node.roles()))
            .withValue(
                "pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seedAddresses(node)))
            .withFallback(remoteTransport(NodeTlsSettings.create(reference)))
            .withFallback(persistence.pluginConfig());
    Config assembled = user.withFallback(derived).withFallback(pekkoDefaults()).resolve();
    SharedJournalRule.refuseLocalJournalWithOtherSeeds(
        assembled, node.host() + ":" + node.remotePort(), node.seeds());
    return assembled;
  }

  /**
   * Artery's transport: plain {@code tcp}, or {@code tls-tcp} through Cohort's PEM-file engine
   * provider when {@code cohort.node.tls.enabled} (its files are checked here, so that a wrong path
   * stops the node at start naming the key).
   */
  static Config remoteTransport(NodeTlsSettings tls) {
    if (!tls.enabled()) {
      return ConfigFactory.empty();
    }
    tls.check();
    return ConfigFactory.empty()
        .withValue("pekko.remote.artery.transport", ConfigValueFactory.fromAnyRef("tls-tcp"))
        .withValue(
            "pekko.remote.artery.ssl.ssl-engine-provider",
            ConfigValueFactory.fromAnyRef(ArteryTlsEngineProvider.class.getName()));
  }

  /**
   * JVM system properties over every module's {@code cohort-pekko.conf} (the Pekko settings Cohort
   * changes) over the classpath's {@code reference.conf}s. Pekko's own reference.conf defines those
   * keys too, and reference files merge in classpath order, so Cohort's values must sit in a
   * separate layer; system properties stay above it, as in {@link ConfigFactory#load()}, so that
   * {@code -Djdbc-journal.parallelism=4} still overrides a value Cohort changed.
   */
  public static Config pekkoDefaults() {
    return ConfigFactory.systemProperties()
        .withFallback(ConfigFactory.parseResources("cohort-pekko.conf"))
        .withFallback(ConfigFactory.load());
  }

  /**
   * Seed node addresses for Pekko's automatic join. With no seeds the list is empty and {@link
   * Membership#joinIfAlone} makes the node join itself once its (possibly ephemeral) port is bound.
   */
  static List<String> seedAddresses(NodeSettings node) {
    List<String> addresses = new ArrayList<>();
    for (String seed : node.seeds()) {
      if (!HOST_PORT.matcher(seed).matches()) {
        throw new IllegalArgumentException(
            "cohort.node.seeds: '" + seed + "' is not host:port (for example 10.0.0.5:2552)");
      }
      addresses.add("pekko://" + NodeSettings.SYSTEM_NAME + "@" + seed);
    }
    return addresses;
  }
}
