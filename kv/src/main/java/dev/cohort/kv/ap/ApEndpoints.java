package dev.cohort.kv.ap;

import java.util.List;

/**
 * Where a key of an AP keyspace lives, as Cassandra's {@code nodetool getendpoints} shows it.
 *
 * @param keyspace the keyspace
 * @param key the key
 * @param token the key's position on the ring (unsigned 64-bit, as a decimal string)
 * @param replicationFactor the keyspace's replication factor
 * @param replicas the key's replicas, primary first: the first distinct nodes clockwise from the
 *     token; fewer than the replication factor when the ring has fewer nodes
 */
public record ApEndpoints(
    String keyspace, String key, String token, int replicationFactor, List<Replica> replicas) {

  /**
   * @param node the node's address
   * @param alive whether the answering node sees it serving and reachable
   */
  public record Replica(String node, boolean alive) {}
}
