package dev.cohort.kv;

import dev.cohort.persistence.CohortSerializable;

/**
 * A keyspace.
 *
 * @param name the keyspace name
 * @param mode {@code cp} or {@code ap}
 * @param partitions its fixed number of partitions (0 for an AP keyspace)
 * @param incarnation distinguishes a keyspace from an earlier, deleted one of the same name
 * @param createdAtMillis creation time (0 for the built-in {@code default})
 * @param created true only in the answer to the create that made it (HTTP 201 vs 200)
 */
public record KeyspaceInfo(
    String name,
    String mode,
    int partitions,
    long incarnation,
    long createdAtMillis,
    boolean created)
    implements CohortSerializable {}
