package dev.cohort.kv;

/**
 * The settings of a keyspace, fixed at creation.
 *
 * @param mode {@code "cp"} (partitioned, linearizable) or {@code "ap"} (replicated on a ring,
 *     per-request consistency; see kv/README-ap.md)
 * @param partitions the number of partitions, 1 to {@code cohort.kv.max-partitions} (0: the
 *     default); ignored for {@code "ap"} (its keys are placed on the replica ring; the replication
 *     factor is recorded through {@code ApKeyspaces.configure})
 */
public record KeyspaceSpec(String mode, int partitions) {
  public static KeyspaceSpec cp(int partitions) {
    return new KeyspaceSpec("cp", partitions);
  }

  /** An AP keyspace. */
  public static KeyspaceSpec ap() {
    return new KeyspaceSpec("ap", 0);
  }
}
