package dev.cohort.kv;

/**
 * The leader of an election: its campaign key, its value, its lease and its term (the create
 * revision of its key, increasing with every new leader).
 */
public record Leader(String election, String key, byte[] value, long lease, long term) {}
