package dev.cohort.etcd.internal;

import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KeyspaceInfo;
import dev.cohort.kv.KvError;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * etcd's {@code Range} over kv: one key through {@code get}, an interval through kv's paged range
 * reads, then etcd's filters (min/max mod and create revision), sort and limit applied here, as
 * etcd applies them after reading (so {@code count} counts the interval before filters).
 *
 * <p>A read that needs every key of an interval (a sort other than by key ascending, a filter, no
 * limit, or a limit above {@code cohort.kv.range-max-limit}) pages through kv; each page is
 * linearizable, but pages are separate reads. A range at a past revision reads one key from kv's
 * history, an interval through {@link HistoricalRange}. Stateless; thread-safe.
 */
final class RangeReader {
  private final EtcdStore store;
  private final CompactionFloor floor;
  private final HistoricalRange history;

  RangeReader(EtcdStore store, CompactionFloor floor) {
    this.store = store;
    this.floor = floor;
    this.history = new HistoricalRange(store);
  }

  CompletionStage<RangeResponse> range(RangeRequest request) {
    KeyRange range = KeyRange.of(request.getKey(), request.getRangeEnd());
    if (request.getLimit() < 0) {
      throw EtcdErrors.invalid("cohort: limit must not be negative");
    }
    return store
        .keyspace()
        .thenCompose(
            info -> {
              if (request.getRevision() > 0) {
                return atRevision(info, range, request);
              }
              if (range.kind() == KeyRange.Kind.SINGLE) {
                return single(range.key(), request);
              }
              return interval(info, range, request);
            });
  }

  private CompletionStage<RangeResponse> atRevision(
      KeyspaceInfo info, KeyRange range, RangeRequest request) {
    long revision = request.getRevision();
    return floor
        .get()
        .thenCompose(
            compacted -> {
              if (revision < compacted) {
                throw EtcdErrors.compacted();
              }
              if (range.kind() == KeyRange.Kind.SINGLE) {
                return oneKey(store.kv().get(store.keyspaceName(), range.key(), revision), request);
              }
              return readAll(
                      range.toRangeRequest().withLimit(store.kvSettings().rangeMaxLimit()),
                      new ArrayList<>(),
                      0,
                      null)
                  .thenCompose(
                      now -> {
                        long current = store.revisionOf(info, now.token);
                        if (revision > current) {
                          throw EtcdErrors.futureRevision();
                        }
                        return history
                            .at(info, range, revision, now.kvs, current)
                            .thenApply(kvs -> sortedAndFiltered(kvs, kvs.size(), current, request));
                      });
            });
  }

  private CompletionStage<RangeResponse> single(String key, RangeRequest request) {
    return oneKey(store.kv().get(store.keyspaceName(), key), request);
  }

  /** The answer for one key's read: the key, or none (a missing key is not an error in etcd). */
  private CompletionStage<RangeResponse> oneKey(
      CompletionStage<dev.cohort.kv.GetResult> read, RangeRequest request) {
    return read.handle(
            (got, failure) -> {
              if (failure == null) {
                return CompletableFuture.completedFuture(
                    respond(List.of(got.kv()), 1, got.header().revision(), request, false));
              }
              if (EtcdErrors.is(failure, KvError.KEY_NOT_FOUND)) {
                return store
                    .currentRevision()
                    .thenApply(now -> respond(List.of(), 0, now, request, false));
              }
              return CompletableFuture.<RangeResponse>failedFuture(failure);
            })
        .thenCompose(s -> s);
  }

  private CompletionStage<RangeResponse> interval(
      KeyspaceInfo info, KeyRange range, RangeRequest request) {
    if (range.kind() == KeyRange.Kind.BETWEEN && range.end().compareTo(range.key()) <= 0) {
      return store.currentRevision().thenApply(now -> respond(List.of(), 0, now, request, false));
    }
    boolean filtered = filtered(request);
    boolean sorted = sorted(request);
    int pageMax = store.kvSettings().rangeMaxLimit();
    dev.cohort.kv.RangeRequest base = range.toRangeRequest();
    if (request.getCountOnly() && !filtered) {
      return store
          .kv()
          .range(store.keyspaceName(), base.withCountOnly())
          .thenApply(
              r ->
                  respond(List.of(), r.count(), store.revisionOf(info, r.token()), request, false));
    }
    if (!filtered && !sorted && request.getLimit() > 0 && request.getLimit() <= pageMax) {
      dev.cohort.kv.RangeRequest page = base.withLimit((int) request.getLimit());
      if (request.getKeysOnly()) {
        page = page.withKeysOnly();
      }
      return store
          .kv()
          .range(store.keyspaceName(), page)
          .thenApply(
              r ->
                  respond(
                      r.kvs(), r.count(), store.revisionOf(info, r.token()), request, r.more()));
    }
    dev.cohort.kv.RangeRequest all = request.getKeysOnly() ? base.withKeysOnly() : base;
    return readAll(all.withLimit(pageMax), new ArrayList<>(), 0, null)
        .thenApply(
            acc ->
                sortedAndFiltered(acc.kvs, acc.count, store.revisionOf(info, acc.token), request));
  }

  /** etcd's filters and sort over every key of the interval, then the limit. */
  private RangeResponse sortedAndFiltered(
      List<KeyValue> kvs, long count, long revision, RangeRequest request) {
    if (filtered(request)) {
      kvs = kvs.stream().filter(kv -> passes(kv, request)).toList();
    }
    if (sorted(request)) {
      kvs = sort(kvs, request);
    }
    return respond(kvs, count, revision, request, false);
  }

  private static boolean filtered(RangeRequest r) {
    return r.getMinModRevision() > 0
        || r.getMaxModRevision() > 0
        || r.getMinCreateRevision() > 0
        || r.getMaxCreateRevision() > 0;
  }

  private static boolean sorted(RangeRequest r) {
    return r.getSortOrder() != RangeRequest.SortOrder.NONE
        || r.getSortTarget() != RangeRequest.SortTarget.KEY;
  }

  private record Accumulated(List<KeyValue> kvs, long count, String token) {}

  /** Every page of {@code page}'s interval; count and token are those of the first page. */
  private CompletionStage<Accumulated> readAll(
      dev.cohort.kv.RangeRequest page, List<KeyValue> acc, long count, String token) {
    return store
        .kv()
        .range(store.keyspaceName(), page)
        .thenCompose(
            r -> {
              acc.addAll(r.kvs());
              long total = token == null ? r.count() : count;
              String first = token == null ? r.token() : token;
              if (!r.more()) {
                return CompletableFuture.completedFuture(new Accumulated(acc, total, first));
              }
              return readAll(page.withPage(r.next()), acc, total, first);
            });
  }

  /** etcd's min/max mod and create revision filters. */
  static boolean passes(KeyValue kv, RangeRequest r) {
    return (r.getMinModRevision() == 0 || kv.modRevision() >= r.getMinModRevision())
        && (r.getMaxModRevision() == 0 || kv.modRevision() <= r.getMaxModRevision())
        && (r.getMinCreateRevision() == 0 || kv.createRevision() >= r.getMinCreateRevision())
        && (r.getMaxCreateRevision() == 0 || kv.createRevision() <= r.getMaxCreateRevision());
  }

  private static List<KeyValue> sort(List<KeyValue> kvs, RangeRequest r) {
    Comparator<KeyValue> by =
        switch (r.getSortTarget()) {
          case VERSION -> Comparator.comparingLong(KeyValue::version);
          case CREATE -> Comparator.comparingLong(KeyValue::createRevision);
          case MOD -> Comparator.comparingLong(KeyValue::modRevision);
          case VALUE -> (a, b) -> Arrays.compareUnsigned(a.value(), b.value());
          default -> Comparator.comparing(KeyValue::key);
        };
    if (r.getSortOrder() == RangeRequest.SortOrder.DESCEND) {
      by = by.reversed();
    }
    List<KeyValue> sorted = new ArrayList<>(kvs);
    sorted.sort(by);
    return sorted;
  }

  /**
   * The response: limit applied ({@code more} when it cut keys, or when {@code moreBeyond} says kv
   * has keys past {@code kvs}), values left out for keys_only.
   */
  private RangeResponse respond(
      List<KeyValue> kvs, long count, long revision, RangeRequest r, boolean moreBeyond) {
    RangeResponse.Builder b = RangeResponse.newBuilder().setHeader(store.header(revision));
    List<KeyValue> page = kvs;
    if (!r.getCountOnly() && r.getLimit() > 0 && kvs.size() > r.getLimit()) {
      page = kvs.subList(0, (int) r.getLimit());
      b.setMore(true);
    } else if (moreBeyond) {
      b.setMore(true);
    }
    if (!r.getCountOnly()) {
      for (KeyValue kv : page) {
        b.addKvs(EtcdStore.toEtcd(kv, r.getKeysOnly()));
      }
    }
    return b.setCount(count).build();
  }
}
