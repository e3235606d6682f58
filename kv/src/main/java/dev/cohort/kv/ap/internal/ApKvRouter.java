package dev.cohort.kv.ap.internal;

import dev.cohort.kv.DeleteResult;
import dev.cohort.kv.GetResult;
import dev.cohort.kv.Header;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KeyspaceInfo;
import dev.cohort.kv.KeyspaceStats;
import dev.cohort.kv.KvError;
import dev.cohort.kv.KvException;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.PutResult;
import dev.cohort.kv.RangeRequest;
import dev.cohort.kv.RangeResult;
import dev.cohort.kv.WatchEvent;
import dev.cohort.kv.WatchRequest;
import dev.cohort.kv.ap.ApKeyspace;
import dev.cohort.kv.ap.ApKeyspaces;
import dev.cohort.kv.ap.ApValue;
import dev.cohort.kv.ap.ApWatchEvent;
import dev.cohort.kv.ap.ApWriteResult;
import dev.cohort.kv.ap.Consistency;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The kv service's side door into AP keyspaces: serves {@code dev.cohort.kv.Kv} operations on a
 * keyspace whose mode is {@code ap}, in the result types of the CP API, so that callers (the
 * gateway) render both alike. Operations only CP keyspaces have fail with {@code
 * not_supported_in_ap_mode} naming the CP alternative.
 *
 * <p>AP keys have no revisions: in results, {@code modRevision} and the header's {@code revision}
 * carry the write's hybrid logical clock timestamp, the header's {@code partition} is 0 (AP keys
 * are placed on the ring: see {@code endpoints}), {@code createRevision}, {@code version} and
 * {@code lease} are 0, and there are no resume tokens. Thread-safe.
 */
public final class ApKvRouter {
  public static final String MODE = "ap";

  private final ApKeyspaces ap;

  public ApKvRouter(ApKeyspaces ap) {
    this.ap = ap;
  }

  public static boolean isAp(KeyspaceInfo info) {
    return info != null && MODE.equals(info.mode());
  }

  /** The consistency to use: the request's, else {@code cohort.kv.ap.default-consistency}. */
  public Consistency consistency(Consistency requested) {
    return requested == null ? ap.settings().defaultConsistency() : requested;
  }

  private ApKeyspace keyspace(KeyspaceInfo info) {
    return ap.keyspace(info.name(), info.incarnation());
  }

  /** The error for a CP-only feature used on an AP keyspace. */
  public static KvException notSupported(String keyspace, String what, String cpAlternative) {
    return KvError.NOT_SUPPORTED_IN_AP_MODE.exception(
        what + " is not supported on AP keyspace '" + keyspace + "'; " + cpAlternative);
  }

  /** AP keys have no partition; the header's partition is 0 (use the endpoints for placement). */
  private static Header header(long timestamp) {
    return new Header(0, timestamp);
  }

  private static KeyValue kv(ApValue v, boolean keysOnly) {
    return new KeyValue(v.key(), keysOnly ? new byte[0] : v.value(), 0, v.timestamp(), 0, 0);
  }

  public CompletionStage<PutResult> put(
      KeyspaceInfo info,
      String key,
      byte[] value,
      PutOptions options,
      Consistency consistency,
      long ttlSeconds) {
    PutOptions o = options == null ? PutOptions.NONE : options;
    if (o.lease() != 0 || o.ignoreLease()) {
      return CompletableFuture.failedFuture(
          notSupported(
              info.name(),
              "a lease",
              "use ttlSeconds for expiry, or a CP keyspace ({\"mode\":\"cp\"}) with leases"));
    }
    return keyspace(info)
        .put(key, value, ttlSeconds, consistency(consistency))
        .thenApply(
            r ->
                new PutResult(
                    header(r.timestamp()),
                    o.prevKv() && r.previous() != null
                        ? Optional.of(kv(r.previous(), false))
                        : Optional.empty()));
  }

  public CompletionStage<GetResult> get(
      KeyspaceInfo info, String key, long revision, Consistency consistency) {
    if (revision != 0) {
      return CompletableFuture.failedFuture(
          notSupported(
              info.name(),
              "reading at a revision",
              "AP keys keep no history; use a CP keyspace ({\"mode\":\"cp\"}) for revisions"));
    }
    return keyspace(info)
        .get(key, consistency(consistency))
        .thenApply(v -> new GetResult(header(v.timestamp()), kv(v, false)));
  }

  public CompletionStage<DeleteResult> delete(
      KeyspaceInfo info, String key, boolean prevKv, Consistency consistency) {
    return keyspace(info)
        .delete(key, consistency(consistency))
        .thenApply(r -> deleteResult(List.of(r), prevKv));
  }

  private DeleteResult deleteResult(List<ApWriteResult> results, boolean prevKv) {
    List<KeyValue> prev = new ArrayList<>();
    List<Header> headers = new ArrayList<>();
    long deleted = 0;
    for (ApWriteResult r : results) {
      headers.add(header(r.timestamp()));
      if (r.existed()) {
        deleted++;
        if (prevKv) {
          prev.add(kv(r.previous(), false));
        }
      }
    }
    return new DeleteResult(deleted, List.copyOf(prev), List.copyOf(headers), null);
  }

  /**
   * Deletes every live key with the prefix that a range read at {@code consistency} finds, each
   * with its own tombstone (not atomic: best effort, like the range).
   */
  public CompletionStage<DeleteResult> deletePrefix(
      KeyspaceInfo info, String prefix, boolean prevKv, Consistency consistency) {
    Consistency c = consistency(consistency);
    ApKeyspace ks = keyspace(info);
    return ks.range(prefix, 0, c)
        .thenCompose(
            found -> {
              List<CompletableFuture<ApWriteResult>> deletes = new ArrayList<>();
              for (ApValue v : found.values()) {
                deletes.add(ks.delete(v.key(), c).toCompletableFuture());
              }
              return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new))
                  .thenApply(
                      x ->
                          deleteResult(
                              deletes.stream().map(CompletableFuture::join).toList(), prevKv));
            });
  }

  /**
   * A range over an AP keyspace: a prefix, or {@code [from, to)} (read as a scan of every key and
   * filtered), sorted, at most {@code limit} keys after {@code startAfter} (from a page token; null
   * for the first page). {@code pageToken} turns the last key of a page into the next token.
   */
  public CompletionStage<RangeResult> range(
      KeyspaceInfo info,
      RangeRequest request,
      int limit,
      String startAfter,
      Function<String, String> pageToken,
      Consistency consistency) {
    String prefix = request.prefix() != null ? request.prefix() : "";
    String from = request.prefix() != null ? null : request.from();
    String to =
        request.prefix() != null || request.to() == null || request.to().isEmpty()
            ? null
            : request.to();
    return keyspace(info)
        .range(prefix, 0, consistency(consistency))
        .thenApply(
            all -> {
              List<KeyValue> matching = new ArrayList<>();
              for (ApValue v : all.values()) {
                if ((from == null || v.key().compareTo(from) >= 0)
                    && (to == null || v.key().compareTo(to) < 0)
                    && (startAfter == null || v.key().compareTo(startAfter) > 0)) {
                  matching.add(kv(v, request.keysOnly()));
                }
              }
              long count = matching.size();
              if (request.countOnly()) {
                return new RangeResult(List.of(), count, false, null, null);
              }
              boolean more = matching.size() > limit;
              List<KeyValue> page = more ? matching.subList(0, limit) : matching;
              String next = more ? pageToken.apply(page.getLast().key()) : null;
              return new RangeResult(List.copyOf(page), count, more, next, null);
            });
  }

  /**
   * Changes of this node's replica; resuming from a token is not supported (no history).
   * Established when materialized: the replica's listener is registered then.
   */
  public Source<WatchEvent, CompletionStage<Done>> watch(KeyspaceInfo info, WatchRequest request) {
    if (request.from() != null && !request.from().isEmpty()) {
      KvException refused =
          notSupported(
              info.name(),
              "resuming a watch from a token",
              "AP keyspaces keep no history; use a CP keyspace ({\"mode\":\"cp\"}) for resumable watches");
      return Source.<WatchEvent>failed(refused)
          .mapMaterializedValue(m -> CompletableFuture.failedFuture(refused));
    }
    String key = request.key();
    String prefix = key != null ? key : request.prefix();
    return keyspace(info)
        .watch(prefix)
        .filter(e -> key == null || e.key().equals(key))
        .map(
            e -> {
              boolean put = e.type() == ApWatchEvent.Type.PUT;
              KeyValue kv =
                  new KeyValue(e.key(), put ? e.value() : new byte[0], 0, e.timestamp(), 0, 0);
              return new WatchEvent(
                  put ? WatchEvent.Type.PUT : WatchEvent.Type.DELETE,
                  kv,
                  null,
                  header(e.timestamp()),
                  false,
                  null);
            })
        .mapMaterializedValue(m -> CompletableFuture.completedFuture(Done.getInstance()));
  }

  /** Key count and value bytes of the keyspace (a range read at one over the live nodes). */
  public CompletionStage<KeyspaceStats> stats(KeyspaceInfo info) {
    return keyspace(info)
        .range("", 0, Consistency.ONE)
        .thenApply(
            all ->
                new KeyspaceStats(
                    info,
                    all.values().size(),
                    all.values().stream().mapToLong(v -> v.key().length() + v.value().length).sum(),
                    null));
  }

  /** Deletes the keyspace's data on every live node (after the registry deleted it). */
  public CompletionStage<Void> drop(KeyspaceInfo info) {
    return keyspace(info).drop().thenApply(n -> (Void) null);
  }
}
