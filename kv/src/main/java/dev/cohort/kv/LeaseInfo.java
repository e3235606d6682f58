package dev.cohort.kv;

import java.util.List;

/**
 * A lease's state.
 *
 * @param id the lease id
 * @param grantedTtlSeconds the TTL it was granted with
 * @param remainingMillis the time left before it expires (0 when expiring now)
 * @param keys the keys attached to it, as {@code keyspace/key}-pairs (only from {@link Kv#lease})
 */
public record LeaseInfo(
    long id, long grantedTtlSeconds, long remainingMillis, List<LeaseKey> keys) {

  /** A key attached to a lease. */
  public record LeaseKey(String keyspace, String key) {}

  /** The remaining TTL rounded up to whole seconds, as etcd reports it. */
  public long remainingSeconds() {
    return (remainingMillis + 999) / 1000;
  }
}
