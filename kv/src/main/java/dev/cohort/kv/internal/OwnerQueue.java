package dev.cohort.kv.internal;

import dev.cohort.kv.Kv;
import dev.cohort.kv.KvError;
import dev.cohort.kv.KvException;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.PutOptions;
import dev.cohort.persistence.ErrorKind;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The queue that locks and elections share: under a prefix {@code <kind>/{name}/} in {@code
 * locks.keyspace}, each contender puts a key named after a fresh lease, and the key with the lowest
 * create revision is first (holds the lock, leads the election). The hash tag puts every key of one
 * name in one partition, so create revisions order them and fencing tokens strictly increase.
 *
 * <p>Invariants: a contender that does not become first within its wait leaves no key behind (its
 * lease is revoked before the failure is reported); waiting happens in the partition, asked in
 * slices of at most {@code ask-timeout}, so a partition restart costs a waiter at most one slice;
 * releasing an entry whose lease is already gone counts as released. Goes through the public {@link
 * Kv} API for leases and keys, so these operations are metered like any other. Holds no state.
 * Thread-safe.
 */
final class OwnerQueue {
  private final Kv api;
  private final KvSettings settings;
  private final EntityAsks asks;
  private final KeyspaceDirectory directory;

  OwnerQueue(Kv api, KvSettings settings, EntityAsks asks, KeyspaceDirectory directory) {
    this.api = api;
    this.settings = settings;
    this.asks = asks;
    this.directory = directory;
  }

  /** Checks a lock or election name; {@code code} is the error to fail with. */
  static void checkName(String name, KvError code) {
    if (name == null || !name.matches("[A-Za-z0-9._-]{1,128}")) {
      throw code.exception("name '" + name + "' must match [A-Za-z0-9._-]{1,128}");
    }
  }

  /**
   * Queues a key under {@code prefix} with a fresh lease and waits until it is first. Fails with
   * {@code timeoutCode} after {@code wait}, having removed its key.
   */
  CompletionStage<KvPartition.Owner> enqueue(
      String prefix, byte[] value, Duration ttl, Duration wait, KvError timeoutCode) {
    if (wait == null || wait.isNegative()) {
      throw KvError.INVALID_REQUEST.exception("wait must not be negative");
    }
    long deadline = System.nanoTime() + wait.toNanos();
    return api.grantLease(ttl)
        .thenCompose(
            grant -> {
              String key = prefix + Long.toHexString(grant.id());
              return api.put(settings.locksKeyspace(), key, value, PutOptions.withLease(grant.id()))
                  .thenCompose(put -> directory.resolve(settings.locksKeyspace()))
                  .thenCompose(
                      ks ->
                          awaitFirst(
                              KeyspaceDirectory.entityIdOfKey(ks, key), prefix, key, deadline))
                  .handle(
                      (owner, failure) -> {
                        if (failure == null) {
                          return CompletableFuture.completedFuture(owner);
                        }
                        KvException e = KvFailures.toKvException(failure);
                        boolean expired = e.is(KvError.LOCK_NOT_FOUND);
                        KvException reported =
                            e.kind() == ErrorKind.TIMEOUT || expired
                                ? timeoutCode.exception(
                                    "not acquired within "
                                        + wait.toMillis()
                                        + " ms"
                                        + (expired ? " (its lease expired)" : ""))
                                : e;
                        return api.revokeLease(grant.id())
                            .handle((x, y) -> (KvPartition.Owner) null)
                            .thenCompose(
                                x -> CompletableFuture.<KvPartition.Owner>failedFuture(reported));
                      })
                  .thenCompose(Function.identity());
            });
  }

  /** Asks the partition, in slices of at most the ask timeout, until first or the deadline. */
  private CompletionStage<KvPartition.Owner> awaitFirst(
      String entityId, String prefix, String key, long deadline) {
    long left = deadline - System.nanoTime();
    boolean waits = left > 0;
    // Without time left the partition is asked once, to answer at once.
    Duration slice =
        waits
            ? Duration.ofNanos(Math.min(left, settings.askTimeout().toNanos()))
            : settings.askTimeout();
    return asks.<KvPartition.Command, KvPartition.Reply>ask(
            asks.partition(entityId), r -> new KvPartition.AwaitFirst(prefix, key, waits, r), slice)
        .handle(
            (reply, failure) -> {
              if (failure == null) {
                if (reply instanceof KvPartition.Rejected r
                    && r.rejection().is(KvError.NOT_FIRST)) {
                  return CompletableFuture.<KvPartition.Owner>failedFuture(
                      new TimeoutException("not first when the wait ended"));
                }
                return CompletableFuture.completedFuture(
                    EntityAsks.expect(reply, KvPartition.Owner.class));
              }
              if (KvFailures.toKvException(failure).kind() == ErrorKind.TIMEOUT
                  && System.nanoTime() < deadline) {
                return awaitFirst(entityId, prefix, key, deadline);
              }
              return CompletableFuture.<KvPartition.Owner>failedFuture(failure);
            })
        .thenCompose(Function.identity());
  }

  /** Removes an entry by revoking its lease; a lease already gone (expired, revoked) is fine. */
  CompletionStage<Void> release(long lease) {
    return api.revokeLease(lease)
        .exceptionally(
            failure -> {
              KvException e = KvFailures.toKvException(failure);
              if (e.is(KvError.LEASE_NOT_FOUND)) {
                return null;
              }
              throw e;
            });
  }
}
