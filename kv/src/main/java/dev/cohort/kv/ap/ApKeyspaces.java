package dev.cohort.kv.ap;

/**
 * AP keyspaces on this node, embedded: obtain one with {@link ApService#start}. Every node of the
 * cluster must start it (each node holds a replica of every AP keyspace).
 *
 * <p>Thread-safe.
 */
public interface ApKeyspaces {

  /**
   * The AP keyspace {@code name} in its incarnation {@code incarnation} (the number the keyspace
   * registry gave it; data of other incarnations is separate). Keyspaces need no creation here:
   * the kv service's registry decides which exist. Fails with {@code invalid_keyspace_name}.
   */
  ApKeyspace keyspace(String name, long incarnation);

  /** The keyspace {@code name}, incarnation 0. */
  default ApKeyspace keyspace(String name) {
    return keyspace(name, 0);
  }

  ApSettings settings();
}
