package dev.cohort.kv.internal;

import dev.cohort.kv.DeleteResult;
import dev.cohort.kv.GetResult;
import dev.cohort.kv.Header;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KeyspaceInfo;
import dev.cohort.kv.KvError;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.PutResult;
import dev.cohort.kv.RangeRequest;
import dev.cohort.kv.RangeResult;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnOpResult;
import dev.cohort.kv.TxnRequest;
import dev.cohort.kv.ap.internal.ApKvRouter;
import dev.cohort.observability.TraceContext;
import dev.cohort.observability.Tracing;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The key operations of {@code Kv} on CP keyspaces: get, put, delete, range, delete-prefix and
 * resume tokens. Routes a key to its partition entity; fans a range or a prefix delete out to every
 * partition its prefix may touch and merges their answers.
 *
 * <p>Invariants: a put or a delete is a one-op transaction on the key's partition, so it takes the
 * same path as {@code txn} (lease attachment, batcher, one journal write); reads go straight to the
 * partition; a merged range is sorted by key, holds at most the page size and carries one header
 * per partition asked in its resume token; a merged prefix delete lists its previous values sorted
 * by key. Holds no state. Thread-safe.
 */
final class CpKeys {
  private final EntityAsks asks;
  private final MeteredCalls calls;
  private final EdgeChecks checks;
  private final KeyspaceDirectory directory;
  private final TxnRouter txns;
  private final Tracing tracing;

  CpKeys(
      EntityAsks asks,
      MeteredCalls calls,
      EdgeChecks checks,
      KeyspaceDirectory directory,
      TxnRouter txns,
      Tracing tracing) {
    this.tracing = tracing;
    this.asks = asks;
    this.calls = calls;
    this.checks = checks;
    this.directory = directory;
    this.txns = txns;
  }

  CompletionStage<PutResult> put(
      String keyspace, String key, byte[] value, PutOptions options, long ttlSeconds) {
    TraceContext trace = tracing.capture();
    return calls.call(
        keyspace,
        "put",
        () -> {
          if (ttlSeconds != 0) {
            throw KvError.INVALID_REQUEST.exception(
                "ttlSeconds applies to AP keyspaces; on CP"
                    + " keyspace '"
                    + keyspace
                    + "' attach the key to a lease instead");
          }
          Keys.checkKey(key);
          checks.value(value);
          PutOptions o = options == null ? PutOptions.NONE : options;
          EdgeChecks.putOptions(o);
          TxnRequest txn =
              new TxnRequest(List.of(), List.of(new TxnOp.Put(key, value, o)), List.of());
          return directory
              .withKeyspace(
                  keyspace,
                  ks -> txns.onePartition(KeyspaceDirectory.entityIdOfKey(ks, key), txn, trace))
              .thenApply(
                  r ->
                      new PutResult(
                          r.header(), ((TxnOpResult.Put) r.responses().getFirst()).prevKv()));
        });
  }

  /** The key's value now ({@code revision} 0) or at {@code revision}. */
  CompletionStage<GetResult> get(String keyspace, String key, long revision) {
    return calls.call(
        keyspace,
        "get",
        () -> {
          Keys.checkKey(key);
          if (revision < 0) {
            throw KvError.INVALID_REQUEST.exception("revision must not be negative");
          }
          return directory
              .withKeyspace(
                  keyspace,
                  ks ->
                      asks.read(
                          KeyspaceDirectory.entityIdOfKey(ks, key),
                          r -> new KvPartition.Get(key, revision, r)))
              .thenApply(
                  reply -> {
                    KvPartition.GetReply got = EntityAsks.expect(reply, KvPartition.GetReply.class);
                    KeyValue kv =
                        got.kv()
                            .orElseThrow(
                                () ->
                                    KvError.KEY_NOT_FOUND.exception(
                                        "key '"
                                            + key
                                            + "' does not exist in keyspace '"
                                            + keyspace
                                            + "'"
                                            + (revision > 0 ? " at revision " + revision : "")));
                    return new GetResult(got.header(), kv);
                  });
        });
  }

  CompletionStage<RangeResult> range(String keyspace, RangeRequest request) {
    return calls.call(
        keyspace,
        "range",
        () -> {
          int limit = checks.rangeLimit(request);
          String from = request.prefix() != null ? request.prefix() : request.from();
          String to =
              request.prefix() != null
                  ? Keys.prefixEnd(request.prefix())
                  : (request.to() == null || request.to().isEmpty() ? null : request.to());
          if (request.page() != null && !request.page().isEmpty()) {
            String after = Tokens.parsePage(request.page()) + "\0";
            if (after.compareTo(from) > 0) {
              from = after;
            }
          }
          String start = from;
          return directory.withKeyspace(
              keyspace,
              ks -> {
                List<Integer> partitions =
                    KeyspaceDirectory.scope(ks, request.prefix() != null ? request.prefix() : "");
                List<CompletionStage<KvPartition.RangeReply>> parts = new ArrayList<>();
                for (int p : partitions) {
                  parts.add(
                      asks.read(
                              KeyspaceDirectory.entityId(ks, p),
                              r ->
                                  new KvPartition.Range(
                                      start, to, limit, request.keysOnly(), request.countOnly(), r))
                          .thenApply(
                              reply -> EntityAsks.expect(reply, KvPartition.RangeReply.class)));
                }
                return EntityAsks.all(parts)
                    .thenApply(replies -> merge(ks, replies, limit, request.countOnly()));
              });
        });
  }

  private static RangeResult merge(
      KeyspaceInfo ks, List<KvPartition.RangeReply> replies, int limit, boolean countOnly) {
    long count = 0;
    boolean more = false;
    List<KeyValue> kvs = new ArrayList<>();
    List<Header> headers = new ArrayList<>();
    for (KvPartition.RangeReply r : replies) {
      count += r.count();
      more |= r.more();
      kvs.addAll(r.kvs());
      headers.add(r.header());
    }
    kvs.sort(Comparator.comparing(KeyValue::key));
    if (kvs.size() > limit) {
      kvs = kvs.subList(0, limit);
      more = true;
    }
    if (countOnly) {
      more = false;
    }
    String next = more && !kvs.isEmpty() ? Tokens.page(kvs.getLast().key()) : null;
    return new RangeResult(
        List.copyOf(kvs), count, more, next, Tokens.resume(ks.incarnation(), headers));
  }

  CompletionStage<DeleteResult> delete(String keyspace, String key, boolean prevKv) {
    TraceContext trace = tracing.capture();
    return calls.call(
        keyspace,
        "delete",
        () -> {
          Keys.checkKey(key);
          TxnRequest txn =
              new TxnRequest(List.of(), List.of(new TxnOp.Delete(key, prevKv)), List.of());
          return directory.withKeyspace(
              keyspace,
              ks ->
                  txns.onePartition(KeyspaceDirectory.entityIdOfKey(ks, key), txn, trace)
                      .thenApply(
                          r -> {
                            TxnOpResult.Delete d = (TxnOpResult.Delete) r.responses().getFirst();
                            return new DeleteResult(
                                d.deleted(),
                                d.prevKvs(),
                                List.of(r.header()),
                                Tokens.resume(ks.incarnation(), List.of(r.header())));
                          }));
        });
  }

  CompletionStage<DeleteResult> deletePrefix(String keyspace, String prefix, boolean prevKv) {
    return calls.call(
        keyspace,
        "delete_prefix",
        () -> {
          if (prefix == null) {
            throw KvError.INVALID_REQUEST.exception("prefix must not be null");
          }
          String end = Keys.prefixEnd(prefix);
          return directory.withKeyspace(
              keyspace,
              ks -> {
                List<CompletionStage<KvPartition.DeleteReply>> parts = new ArrayList<>();
                for (int p : KeyspaceDirectory.scope(ks, prefix)) {
                  parts.add(
                      asks.write(
                              KeyspaceDirectory.entityId(ks, p),
                              r -> new KvPartition.DeleteRange(prefix, end, prevKv, r))
                          .thenApply(
                              reply -> EntityAsks.expect(reply, KvPartition.DeleteReply.class)));
                }
                return EntityAsks.all(parts).thenApply(replies -> merged(ks, replies));
              });
        });
  }

  private static DeleteResult merged(KeyspaceInfo ks, List<KvPartition.DeleteReply> replies) {
    long deleted = 0;
    List<KeyValue> prevKvs = new ArrayList<>();
    List<Header> headers = new ArrayList<>();
    for (KvPartition.DeleteReply r : replies) {
      deleted += r.deleted();
      prevKvs.addAll(r.prevKvs());
      headers.add(r.header());
    }
    prevKvs.sort(Comparator.comparing(KeyValue::key));
    return new DeleteResult(
        deleted,
        List.copyOf(prevKvs),
        List.copyOf(headers),
        Tokens.resume(ks.incarnation(), headers));
  }

  /** A resume token from reply headers; AP keyspaces have none. */
  CompletionStage<String> resumeToken(String keyspace, List<Header> headers) {
    return calls.call(
        keyspace,
        "token",
        () ->
            directory.withKeyspace(
                keyspace,
                ks -> {
                  if (ApKvRouter.isAp(ks)) {
                    return CompletableFuture.failedFuture(
                        ApKvRouter.notSupported(
                            ks.name(),
                            "a resume token",
                            "AP keyspaces keep no history; use a CP keyspace ({\"mode\":\"cp\"})"));
                  }
                  for (Header h : headers) {
                    if (h.partition() < 0 || h.partition() >= ks.partitions() || h.revision() < 0) {
                      throw KvError.INVALID_REQUEST.exception(
                          "header " + h + " is not of this keyspace");
                    }
                  }
                  return CompletableFuture.completedFuture(
                      Tokens.resume(ks.incarnation(), headers));
                }));
  }
}
