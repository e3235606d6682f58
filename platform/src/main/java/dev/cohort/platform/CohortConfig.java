package dev.cohort.platform;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How to start a node: a builder over Cohort's configuration. Precedence, highest first: {@link
 * Builder#override} values, the builder's explicit settings (data dir, host, ports, seeds, roles),
 * the configuration file, then every module's {@code reference.conf}.
 *
 * <pre>{@code
 * CohortConfig config = CohortConfig.builder().dataDir(Path.of("data")).httpPort(8080).build();
 * }</pre>
 */
public final class CohortConfig {
  private final Config user;

  private CohortConfig(Config user) {
    this.user = user;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The user's configuration (unresolved), before derived and reference settings are added. */
  public Config userConfig() {
    return user;
  }

  /** Builds a {@link CohortConfig}; every setting is optional. */
  public static final class Builder {
    private Config overrides = ConfigFactory.empty();
    private Config explicit = ConfigFactory.empty();
    private Optional<Path> configFile = Optional.empty();
    private final List<String> seeds = new ArrayList<>();
    private List<String> roles;

    private Builder() {}

    /** A HOCON file such as {@code conf/single-node.conf}; must exist. */
    public Builder configFile(Path file) {
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("configuration file " + file + " does not exist");
      }
      this.configFile = Optional.of(file);
      return this;
    }

    public Builder dataDir(Path dataDir) {
      return set("cohort.node.data-dir", dataDir.toString());
    }

    /**
     * The host other nodes reach this node on; also the gateway's and etcd listener's interface.
     */
    public Builder host(String host) {
      set("cohort.node.host", host);
      set("cohort.etcd.host", host);
      set("cohort.kafka.host", host);
      return set("cohort.gateway.host", host);
    }

    /** The gateway's interface when it differs from {@link #host}. */
    public Builder httpHost(String host) {
      return set("cohort.gateway.host", host);
    }

    /** The gateway's port; 0 picks a free one. */
    public Builder httpPort(int port) {
      return set("cohort.gateway.port", checkPort(port, "http port"));
    }

    /** The etcd v3 gRPC listener's port; 0 turns it off, -1 picks a free one. */
    public Builder etcdPort(int port) {
      if (port < -1 || port > 65535) {
        throw new IllegalArgumentException("etcd port must be -1..65535, got " + port);
      }
      return set("cohort.etcd.port", port);
    }

    /** The Kafka listener's port; 0 turns the listener off. */
    public Builder kafkaPort(int port) {
      return set("cohort.kafka.port", checkPort(port, "kafka port"));
    }

    /** The Pekko remoting port; 0 picks a free one (then the node cannot be a seed). */
    public Builder remotePort(int port) {
      return set("cohort.node.remote-port", checkPort(port, "remote port"));
    }

    /** Adds a seed node {@code host:port}; with none, the node forms a cluster by itself. */
    public Builder seed(String hostAndPort) {
      seeds.add(hostAndPort);
      return this;
    }

    public Builder roles(List<String> roles) {
      this.roles = List.copyOf(roles);
      return this;
    }

    /** Sets any configuration key; wins over everything else. */
    public Builder override(String path, Object value) {
      overrides = overrides.withValue(path, ConfigValueFactory.fromAnyRef(value));
      return this;
    }

    /** Layers a whole configuration over the others; wins over everything but single overrides. */
    public Builder override(Config config) {
      overrides = overrides.withFallback(config);
      return this;
    }

    public CohortConfig build() {
      Config withLists = explicit;
      if (!seeds.isEmpty()) {
        withLists =
            withLists.withValue("cohort.node.seeds", ConfigValueFactory.fromIterable(seeds));
      }
      if (roles != null) {
        withLists =
            withLists.withValue("cohort.node.roles", ConfigValueFactory.fromIterable(roles));
      }
      Config file =
          configFile.map(f -> ConfigFactory.parseFile(f.toFile())).orElse(ConfigFactory.empty());
      return new CohortConfig(overrides.withFallback(withLists).withFallback(file));
    }

    private Builder set(String path, Object value) {
      explicit = explicit.withValue(path, ConfigValueFactory.fromAnyRef(value));
      return this;
    }

    private static int checkPort(int port, String what) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException(what + " must be 0..65535, got " + port);
      }
      return port;
    }
  }
}
