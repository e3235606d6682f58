package dev.cohort.cluster;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.List;

/**
 * Where this node listens and how it finds the cluster, read from {@code cohort.node}.
 *
 * @param dataDir the node's data directory
 * @param host the address other nodes reach this node's remoting on (and the gateway's default
 *     interface)
 * @param remotePort the Pekko remoting (Artery TCP) port; 0 picks a free one
 * @param seeds seed nodes as {@code host:port}; empty means this node forms a cluster by itself
 * @param roles the cluster roles of this node
 */
public record NodeSettings(
    Path dataDir, String host, int remotePort, List<String> seeds, List<String> roles) {

  /** The actor system name; every node of a cluster must use the same. */
  public static final String SYSTEM_NAME = "cohort";

  public NodeSettings {
    seeds = List.copyOf(seeds);
    roles = List.copyOf(roles);
  }

  public static NodeSettings create(Config config) {
    Config c = config.getConfig("cohort.node");
    return new NodeSettings(
        Path.of(c.getString("data-dir")),
        c.getString("host"),
        c.getInt("remote-port"),
        c.getStringList("seeds"),
        c.getStringList("roles"));
  }
}
