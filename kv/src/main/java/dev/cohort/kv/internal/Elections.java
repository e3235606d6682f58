package dev.cohort.kv.internal;

import dev.cohort.kv.Compare;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.Kv;
import dev.cohort.kv.KvError;
import dev.cohort.kv.KvException;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.Leader;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.RangeRequest;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnRequest;
import dev.cohort.kv.WatchEvent;
import dev.cohort.kv.WatchRequest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Elections ({@code campaign}, {@code proclaim}, {@code resign}, {@code leader}, {@code observe}):
 * an election is an {@link OwnerQueue} under {@code locks.election-prefix}; its leader is the first
 * key, the key's value is the leader's proclamation, and its create revision is the leadership's
 * term.
 *
 * <p>Invariants: {@code proclaim} changes the value only while the leadership's key still has the
 * term's create revision (a compare-and-swap), so a former leader cannot overwrite its successor;
 * {@code observe} emits the current leader first and then each change of leader or value, never the
 * same leader and value twice in a row, with no gap between its range read and its watch (the watch
 * resumes from the range's token). Holds no state. Thread-safe.
 */
final class Elections {
  private final Kv api;
  private final KvSettings settings;
  private final MeteredCalls calls;
  private final EdgeChecks checks;
  private final OwnerQueue queue;

  Elections(Kv api, KvSettings settings, MeteredCalls calls, EdgeChecks checks, OwnerQueue queue) {
    this.api = api;
    this.settings = settings;
    this.calls = calls;
    this.checks = checks;
    this.queue = queue;
  }

  private String electionPrefix(String name) {
    return settings.electionPrefix() + "{" + name + "}/";
  }

  CompletionStage<Leader> campaign(String name, byte[] value, Duration ttl, Duration wait) {
    return calls.call(
        settings.locksKeyspace(),
        "campaign",
        () -> {
          OwnerQueue.checkName(name, KvError.INVALID_ELECTION_NAME);
          checks.value(value);
          return queue
              .enqueue(electionPrefix(name), value, ttl, wait, KvError.ELECTION_TIMEOUT)
              .thenApply(owner -> leaderOf(name, owner.kv()));
        });
  }

  private static Leader leaderOf(String name, KeyValue kv) {
    return new Leader(name, kv.key(), kv.value(), kv.lease(), kv.createRevision());
  }

  CompletionStage<Leader> proclaim(Leader leadership, byte[] value) {
    return calls.call(
        settings.locksKeyspace(),
        "proclaim",
        () -> {
          if (leadership == null) {
            throw KvError.INVALID_REQUEST.exception("leadership is missing");
          }
          checks.value(value);
          TxnRequest txn =
              new TxnRequest(
                  List.of(
                      Compare.createRevision(
                          leadership.key(), Compare.Op.EQUAL, leadership.term())),
                  List.of(new TxnOp.Put(leadership.key(), value, new PutOptions(0, false, true))),
                  List.of());
          return api.txn(settings.locksKeyspace(), txn)
              .thenApply(
                  r -> {
                    if (!r.succeeded()) {
                      throw KvError.NOT_LEADER.exception(
                          "this campaign no longer leads election " + leadership.election());
                    }
                    return new Leader(
                        leadership.election(),
                        leadership.key(),
                        value,
                        leadership.lease(),
                        leadership.term());
                  });
        });
  }

  CompletionStage<Void> resign(Leader leadership) {
    return calls.call(settings.locksKeyspace(), "resign", () -> queue.release(leadership.lease()));
  }

  CompletionStage<Leader> leader(String name) {
    return calls.call(
        settings.locksKeyspace(),
        "leader",
        () -> {
          OwnerQueue.checkName(name, KvError.INVALID_ELECTION_NAME);
          return api.range(settings.locksKeyspace(), RangeRequest.prefix(electionPrefix(name)))
              .thenApply(
                  r ->
                      r.kvs().stream()
                          .min(Comparator.comparingLong(KeyValue::createRevision))
                          .map(kv -> leaderOf(name, kv))
                          .orElseThrow(
                              () ->
                                  KvError.NO_LEADER.exception(
                                      "election " + name + " has no leader")));
        });
  }

  Source<Leader, NotUsed> observe(String name) {
    try {
      OwnerQueue.checkName(name, KvError.INVALID_ELECTION_NAME);
    } catch (KvException e) {
      return Source.failed(e);
    }
    String prefix = electionPrefix(name);
    CompletionStage<Source<Leader, NotUsed>> source =
        api.range(settings.locksKeyspace(), RangeRequest.prefix(prefix))
            .thenApply(
                initial -> {
                  TreeMap<String, KeyValue> start = new TreeMap<>();
                  initial.kvs().forEach(kv -> start.put(kv.key(), kv));
                  Source<Optional<KeyValue>, NotUsed> changes =
                      api.watch(
                              settings.locksKeyspace(),
                              WatchRequest.prefix(prefix).from(initial.token()))
                          .statefulMap(
                              () -> start,
                              (kvs, event) -> {
                                if (event.type() == WatchEvent.Type.DELETE) {
                                  kvs.remove(event.kv().key());
                                } else {
                                  kvs.put(event.kv().key(), event.kv());
                                }
                                return Pair.create(kvs, lowest(kvs));
                              },
                              kvs -> Optional.empty())
                          .mapMaterializedValue(established -> NotUsed.getInstance());
                  return leaderChanges(name, Source.single(lowest(start)).concat(changes));
                });
    return KvFailures.lazily(source);
  }

  /** The leaders of {@code firsts} (the first key after each change), each change once. */
  private static Source<Leader, NotUsed> leaderChanges(
      String name, Source<Optional<KeyValue>, NotUsed> firsts) {
    return firsts
        .statefulMap(
            () -> new Leader[1],
            (last, candidate) -> {
              Leader now = candidate.map(kv -> leaderOf(name, kv)).orElse(null);
              boolean changed =
                  now != null
                      && (last[0] == null
                          || !last[0].key().equals(now.key())
                          || !Arrays.equals(last[0].value(), now.value()));
              last[0] = now;
              return Pair.create(last, changed ? Optional.of(now) : Optional.<Leader>empty());
            },
            last -> Optional.empty())
        .filter(Optional::isPresent)
        .map(Optional::get);
  }

  private static Optional<KeyValue> lowest(TreeMap<String, KeyValue> kvs) {
    return kvs.values().stream().min(Comparator.comparingLong(KeyValue::createRevision));
  }
}
