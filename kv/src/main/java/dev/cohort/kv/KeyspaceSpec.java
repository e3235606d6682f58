package dev.cohort.kv;

/**
 * The settings of a keyspace, fixed at creation.
 *
 * @param mode only {@code "cp"} in this version
 * @param partitions the number of partitions, 1 to {@code cohort.kv.max-partitions}
 */
public record KeyspaceSpec(String mode, int partitions) {
  public static KeyspaceSpec cp(int partitions) {
    return new KeyspaceSpec("cp", partitions);
  }
}
