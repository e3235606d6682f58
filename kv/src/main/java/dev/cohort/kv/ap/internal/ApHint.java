package dev.cohort.kv.ap.internal;

/**
 * A write that a coordinator could not deliver to one of its replicas, kept on the coordinator's
 * disk until the replica is reachable again (hinted handoff).
 *
 * @param target the address of the replica that missed the write
 * @param keyspace the keyspace
 * @param incarnation the keyspace's incarnation
 * @param key the key
 * @param entry the write
 */
record ApHint(String target, String keyspace, long incarnation, String key, ApEntry entry) {}
