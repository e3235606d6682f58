package dev.cohort.kv;

import dev.cohort.persistence.CohortSerializable;

/**
 * The position of a reply in one partition's history: every single-partition response carries one.
 * Revisions are per partition and strictly increasing (unlike etcd's store-wide revision).
 *
 * @param partition the partition number, 0 to partitions-1
 * @param revision the partition's revision after the operation
 */
public record Header(int partition, long revision) implements CohortSerializable {}
