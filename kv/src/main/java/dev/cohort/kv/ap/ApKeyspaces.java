package dev.cohort.kv.ap;

import java.util.concurrent.CompletionStage;

/**
 * AP keyspaces on this node, embedded: obtain one with {@link ApService#start}. Every node of the
 * cluster must start it: each node holds the replicas the ring gives it and coordinates requests.
 *
 * <p>Thread-safe.
 */
public interface ApKeyspaces {

  /**
   * The AP keyspace {@code name} in its incarnation {@code incarnation} (the number the keyspace
   * registry gave it; data of other incarnations is separate). Keyspaces need no creation here: the
   * kv service's registry decides which exist. Fails with {@code invalid_keyspace_name}.
   */
  ApKeyspace keyspace(String name, long incarnation);

  /** The keyspace {@code name}, incarnation 0. */
  default ApKeyspace keyspace(String name) {
    return keyspace(name, 0);
  }

  /**
   * Records the replication factor of a new keyspace incarnation on every reachable node ({@code
   * 0}: {@code min(default-replication-factor, cluster size)}), and answers the factor in force: a
   * factor once recorded never changes. Fails with {@code invalid_replication_factor} outside
   * 0..15, or with {@code replication_factor_conflict} when another factor is already recorded.
   */
  CompletionStage<Integer> configure(String name, long incarnation, int replicationFactor);

  ApSettings settings();
}
