package dev.cohort.kv.internal;

import dev.cohort.kv.Kv;
import dev.cohort.kv.KvError;
import dev.cohort.kv.KvException;
import dev.cohort.kv.KvLock;
import dev.cohort.kv.KvSettings;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * {@code Kv.lock} and {@code Kv.unlock}: a lock is an {@link OwnerQueue} under {@code
 * locks.prefix}; its holder is the first key, and its fencing token that key's create revision.
 *
 * <p>Invariants: a lock is held exactly as long as its key exists — unlocking, closing the {@link
 * KvLock} and the lease's expiry all end it by removing the key through its lease; {@code unlock}
 * touches only keys of the named lock ({@code lock_not_found} otherwise); the lock-wait metric
 * counts acquisitions only. Holds no state. Thread-safe.
 */
final class Locks {
  private final Kv api;
  private final KvSettings settings;
  private final KvMetrics metrics;
  private final MeteredCalls calls;
  private final OwnerQueue queue;

  Locks(Kv api, KvSettings settings, KvMetrics metrics, MeteredCalls calls, OwnerQueue queue) {
    this.api = api;
    this.settings = settings;
    this.metrics = metrics;
    this.calls = calls;
    this.queue = queue;
  }

  private String lockPrefix(String name) {
    return settings.locksPrefix() + "{" + name + "}/";
  }

  CompletionStage<KvLock> lock(String name, Duration ttl, Duration wait) {
    long start = System.nanoTime();
    return calls.call(
        settings.locksKeyspace(),
        "lock",
        () -> {
          OwnerQueue.checkName(name, KvError.INVALID_LOCK_NAME);
          return queue
              .enqueue(lockPrefix(name), new byte[0], ttl, wait, KvError.LOCK_TIMEOUT)
              .thenApply(
                  owner -> {
                    metrics.lockWait(start);
                    return (KvLock)
                        new HeldLock(
                            name,
                            owner.kv().key(),
                            owner.kv().lease(),
                            owner.kv().createRevision());
                  });
        });
  }

  CompletionStage<Void> unlock(String name, String key) {
    return calls.call(
        settings.locksKeyspace(),
        "unlock",
        () -> {
          OwnerQueue.checkName(name, KvError.INVALID_LOCK_NAME);
          if (key == null || !key.startsWith(lockPrefix(name))) {
            throw KvError.LOCK_NOT_FOUND.exception("'" + key + "' is not a key of lock " + name);
          }
          return api.get(settings.locksKeyspace(), key)
              .handle(
                  (got, failure) -> {
                    if (failure != null) {
                      KvException e = KvFailures.toKvException(failure);
                      throw e.is(KvError.KEY_NOT_FOUND)
                          ? KvError.LOCK_NOT_FOUND.exception(
                              "lock " + name + " is not held by " + key)
                          : e;
                    }
                    return got.kv().lease();
                  })
              .thenCompose(api::revokeLease);
        });
  }

  /** A held lock; closing it revokes its lease. */
  private final class HeldLock implements KvLock {
    private final String name;
    private final String key;
    private final long lease;
    private final long fencingToken;

    HeldLock(String name, String key, long lease, long fencingToken) {
      this.name = name;
      this.key = key;
      this.lease = lease;
      this.fencingToken = fencingToken;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String key() {
      return key;
    }

    @Override
    public long lease() {
      return lease;
    }

    @Override
    public long fencingToken() {
      return fencingToken;
    }

    /** Releases the lock; a lease that already expired counts as released. */
    @Override
    public void close() {
      try {
        queue.release(lease).toCompletableFuture().join();
      } catch (CompletionException e) {
        throw KvFailures.toKvException(e);
      }
    }

    @Override
    public String toString() {
      return "KvLock[" + name + ", key=" + key + ", fencingToken=" + fencingToken + "]";
    }
  }
}
