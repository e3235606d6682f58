package dev.cohort.kv;

/**
 * A keyspace with its current size, summed over its partitions.
 *
 * @param info the keyspace
 * @param keys the number of keys
 * @param bytes the bytes of keys and values
 * @param token a resume token of every partition's current revision
 */
public record KeyspaceStats(KeyspaceInfo info, long keys, long bytes, String token) {}
