package dev.cohort.etcd.internal;

import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KeyspaceInfo;
import dev.cohort.kv.ResumeTokens;
import dev.cohort.kv.WatchEvent;
import dev.cohort.kv.WatchRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * A range over a key interval as it was at a past revision R, which kv reads only for single keys:
 * the interval now (at revision C), corrected by the changes after R. kv's history is replayed from
 * R with previous values; the first change of a key after R carries its state at R (none: it did
 * not exist), and keys unchanged since R are as they are now. Every revision has at least one
 * change, so the replay ends with the last change of revision C.
 *
 * <p>Cost: one read of the interval plus the keyspace's changes since R (bounded by kv's history).
 * History kv compacted fails as etcd's compacted error. Stateless; thread-safe.
 */
final class HistoricalRange {
  private final EtcdStore store;

  HistoricalRange(EtcdStore store) {
    this.store = store;
  }

  /**
   * The keys of {@code range} at {@code revision}, by key, given the interval's keys {@code now} at
   * revision {@code current}.
   */
  CompletionStage<List<KeyValue>> at(
      KeyspaceInfo info, KeyRange range, long revision, List<KeyValue> now, long current) {
    if (revision >= current) {
      return CompletableFuture.completedFuture(now);
    }
    Map<String, KeyValue> atRevision = new HashMap<>();
    Map<String, Boolean> touched = new HashMap<>();
    return store
        .tokenAfter(revision)
        .thenCompose(
            token ->
                store
                    .kv()
                    .watch(store.keyspaceName(), WatchRequest.prefix("").from(token).withPrevKv())
                    .completionTimeout(store.kvSettings().askTimeout().multipliedBy(2))
                    .takeWhile(e -> e.header().revision() <= current)
                    .takeWhile(
                        e ->
                            !(e.header().revision() == current
                                && ResumeTokens.endsRevision(e.token(), info, 0)),
                        true)
                    .runWith(
                        Sink.foreach(
                            (WatchEvent e) -> {
                              if (e.snapshot()) {
                                throw EtcdErrors.compacted();
                              }
                              String key = e.kv().key();
                              if (range.contains(key)
                                  && touched.putIfAbsent(key, true) == null
                                  && e.prevKv() != null) {
                                atRevision.put(key, e.prevKv());
                              }
                            }),
                        store.materializer()))
        .thenApply(
            done -> {
              TreeMap<String, KeyValue> result = new TreeMap<>();
              for (KeyValue kv : now) {
                if (!touched.containsKey(kv.key())) {
                  result.put(kv.key(), kv);
                }
              }
              result.putAll(atRevision);
              return new ArrayList<>(result.values());
            });
  }
}
