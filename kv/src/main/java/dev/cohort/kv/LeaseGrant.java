package dev.cohort.kv;

/** A granted lease: its id (never 0) and its time to live in seconds. */
public record LeaseGrant(long id, long ttlSeconds) {}
