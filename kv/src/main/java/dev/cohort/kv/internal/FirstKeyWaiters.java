package dev.cohort.kv.internal;

import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KvError;
import dev.cohort.kv.internal.KvPartition.AwaitFirst;
import dev.cohort.kv.internal.KvPartition.Owner;
import dev.cohort.kv.internal.KvPartition.Rejected;
import dev.cohort.kv.internal.KvPartition.Reply;
import dev.cohort.kv.internal.KvPartition.State;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The lock and election waiters of one kv partition: each waits until its key has the lowest create
 * revision among the keys of its queue's prefix ({@link Owner}), or until its key is gone ({@code
 * lock_not_found}).
 *
 * <p>Invariants: a waiter is answered exactly once, after the journal write that made it first or
 * removed its key; waiters are checked in arrival order. Not persisted: after a restart waiters ask
 * again within their ask-timeout. Not thread-safe; used by the partition's actor only.
 */
final class FirstKeyWaiters {
  private final PartitionStore store;
  private final List<AwaitFirst> waiters = new ArrayList<>();

  FirstKeyWaiters(PartitionStore store) {
    this.store = store;
  }

  /**
   * The answer {@code await} gets now: {@link Owner}, {@code lock_not_found}, or, when another key
   * is ahead, {@code not_first} for a caller that does not wait and null for one that now waits.
   */
  Reply await(State state, AwaitFirst await) {
    Reply decided = decide(state, await);
    if (decided != null) {
      return decided;
    }
    if (!await.waits()) {
      return new Rejected(KvError.NOT_FIRST.rejection("another key is ahead in the queue"));
    }
    waiters.add(await);
    return null;
  }

  /** Answers the waiters that {@code state} (just persisted) decides. */
  void check(State state) {
    Iterator<AwaitFirst> it = waiters.iterator();
    while (it.hasNext()) {
      AwaitFirst w = it.next();
      Reply decided = decide(state, w);
      if (decided != null) {
        w.replyTo().tell(decided);
        it.remove();
      }
    }
  }

  /** Answers every waiter with {@code refusal}: its queue is gone. */
  void refuseAll(Rejected refusal) {
    for (AwaitFirst w : waiters) {
      w.replyTo().tell(refusal);
    }
    waiters.clear();
  }

  private Reply decide(State state, AwaitFirst await) {
    KeyValue mine = state.kvs().get(await.key());
    if (mine == null) {
      return new Rejected(
          KvError.LOCK_NOT_FOUND.rejection("key '" + await.key() + "' no longer exists"));
    }
    String end = Keys.prefixEnd(await.prefix());
    for (KeyValue kv : PartitionStore.select(state.kvs(), await.prefix(), end).values()) {
      if (kv.createRevision() < mine.createRevision()) {
        return null;
      }
    }
    return new Owner(store.header(state), mine);
  }
}
