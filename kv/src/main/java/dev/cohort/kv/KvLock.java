package dev.cohort.kv;

/**
 * A held lock: the lock key (under the lock's hash-tagged prefix), the lease that keeps it, and the
 * fencing token, which increases with every acquisition of the same lock name. Pass the token to
 * the resource the lock guards so that it can refuse a holder whose lease already expired. {@link
 * #close()} releases the lock by revoking its lease, and waits for that.
 */
public interface KvLock extends AutoCloseable {
  String name();

  String key();

  long lease();

  long fencingToken();

  @Override
  void close();
}
