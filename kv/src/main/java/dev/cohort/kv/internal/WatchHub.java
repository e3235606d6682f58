package dev.cohort.kv.internal;

import dev.cohort.kv.KeyValue;
import dev.cohort.kv.internal.KvPartition.Command;
import dev.cohort.kv.internal.KvPartition.State;
import dev.cohort.kv.internal.KvPartition.Subscribe;
import dev.cohort.kv.internal.KvPartition.SubscriberGone;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * The watches open on one kv partition, as etcd's {@code watchable_store.go}: subscribes a {@link
 * KvWatcher} from a revision (its backlog comes from the history, or a snapshot of the matching
 * keys when that history was compacted) and feeds it every later change its filter matches.
 *
 * <p>Invariants: a subscriber gets each change after its start revision once and in revision order,
 * because its backlog and every later feed are sent by the partition's actor, which applies writes
 * one at a time; changes are published only after their journal write completed. Not persisted:
 * watchers resubscribe from their last position after the partition restarts. Not thread-safe; used
 * by the partition's actor only.
 */
final class WatchHub {
  private final ActorContext<Command> context;
  private final int partition;
  private final Map<ActorRef<KvWatcher.Command>, Filter> subscribers = new HashMap<>();

  WatchHub(ActorContext<Command> context, int partition) {
    this.context = context;
    this.partition = partition;
  }

  /** Sends the subscriber its backlog after {@code afterRevision} and follows it from now on. */
  void subscribe(State state, Subscribe subscribe) {
    Filter filter = subscribe.filter();
    long after = subscribe.afterRevision();
    List<Change> backlog = new ArrayList<>();
    boolean snapshot = false;
    if (after >= 0 && after < state.revision()) {
      if (after < state.compactedRevision()) {
        snapshot = true;
      } else {
        backlog.addAll(PartitionStore.changesAfter(state, after, filter));
      }
    } else if (after > state.revision()) {
      // A token from beyond this partition's history (its journal was lost or replaced): the
      // only honest answer is the current state.
      snapshot = true;
    }
    if (snapshot) {
      for (KeyValue kv : PartitionStore.matching(state, filter)) {
        backlog.add(new Change(state.revision(), state.lastAtMillis(), kv.key(), kv, null));
      }
    }
    subscribe
        .subscriber()
        .tell(
            new KvWatcher.Feed(
                partition, context.getSelf(), List.copyOf(backlog), snapshot, state.revision()));
    if (!subscribers.containsKey(subscribe.subscriber())) {
      context.watchWith(subscribe.subscriber(), new SubscriberGone(subscribe.subscriber()));
    }
    subscribers.put(subscribe.subscriber(), filter);
  }

  void unsubscribe(ActorRef<KvWatcher.Command> subscriber) {
    if (subscribers.remove(subscriber) != null) {
      context.unwatch(subscriber);
    }
  }

  /** Feeds every subscriber the persisted {@code changes} its filter matches. */
  void publish(State state, List<Change> changes) {
    if (subscribers.isEmpty() || changes.isEmpty()) {
      return;
    }
    for (Map.Entry<ActorRef<KvWatcher.Command>, Filter> s : subscribers.entrySet()) {
      List<Change> matching = new ArrayList<>();
      for (Change c : changes) {
        if (s.getValue().matches(c.key())) {
          matching.add(c);
        }
      }
      if (!matching.isEmpty()) {
        s.getKey()
            .tell(
                new KvWatcher.Feed(
                    partition, context.getSelf(), List.copyOf(matching), false, state.revision()));
      }
    }
  }
}
