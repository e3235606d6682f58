package dev.cohort.etcd.internal;

import dev.cohort.kv.KeyspaceInfo;
import dev.cohort.kv.ResumeTokens;
import dev.cohort.kv.WatchEvent;
import dev.cohort.persistence.AskStages;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.WatchCancelRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * One etcd watch stream: the watches a client created on it, each a kv watch of the served keyspace
 * started right after the requested revision.
 *
 * <p>Invariants: requests are handled one after another in arrival order (clients match {@code
 * created} answers to their create requests by order); a watch's {@code created} answer goes out
 * before any of its events; the events of one revision go out in one response; a progress answer
 * names a revision up to which every watch of the stream has sent everything (the lowest position
 * of any watch, so possibly an older one); a start revision below the etcd compaction floor, or
 * below kv's own compacted history (kv then begins with a snapshot), cancels the watch with etcd's
 * {@code compact_revision} answer. Thread-safe: responses go through one {@link
 * SerializedObserver}.
 */
final class WatchStream implements StreamObserver<WatchRequest> {
  private final EtcdStore store;
  private final CompactionFloor floor;
  private final SerializedObserver<WatchResponse> out;
  private final Map<Long, Active> watches = new ConcurrentHashMap<>();
  private final AtomicLong nextId = new AtomicLong();
  private CompletionStage<Void> queue = CompletableFuture.completedFuture(null);

  /** A created watch. Fields are written by its stream's callbacks. */
  private static final class Active {
    final long id;
    volatile UniqueKillSwitch kill;
    volatile Cancellable progress;
    volatile boolean cancelled;
    volatile long position;
    volatile boolean quiet = true;

    /** Events of the revision being delivered, sent together once its last event came. */
    final List<Event> batch = new ArrayList<>();

    Active(long id, long position) {
      this.id = id;
      this.position = position;
    }

    void stop() {
      cancelled = true;
      if (kill != null) {
        kill.shutdown();
      }
      if (progress != null) {
        progress.cancel();
      }
    }
  }

  WatchStream(EtcdStore store, CompactionFloor floor, StreamObserver<WatchResponse> responses) {
    this.store = store;
    this.floor = floor;
    this.out = store.stream(responses);
  }

  @Override
  public synchronized void onNext(WatchRequest request) {
    queue = queue.thenCompose(v -> handle(request)).exceptionally(failure -> null);
  }

  private CompletionStage<Void> handle(WatchRequest request) {
    return switch (request.getRequestUnionCase()) {
      case CREATE_REQUEST -> create(request.getCreateRequest());
      case CANCEL_REQUEST -> cancel(request.getCancelRequest());
      case PROGRESS_REQUEST -> progress();
      default -> Async.done();
    };
  }

  private CompletionStage<Void> create(WatchCreateRequest c) {
    long id = nextId.getAndIncrement();
    KeyRange range;
    try {
      range = KeyRange.of(c.getKey(), c.getRangeEnd());
    } catch (StatusRuntimeException e) {
      out.send(
          WatchResponse.newBuilder()
              .setHeader(store.header())
              .setWatchId(id)
              .setCreated(true)
              .setCanceled(true)
              .setCancelReason(e.getStatus().getDescription())
              .build());
      return Async.done();
    }
    long start = c.getStartRevision();
    return store
        .keyspace()
        .thenCompose(
            info ->
                floor
                    .get()
                    .thenCompose(
                        compacted ->
                            store
                                .currentRevision()
                                .thenCompose(
                                    now -> {
                                      WatchResponse created =
                                          WatchResponse.newBuilder()
                                              .setHeader(store.header(now))
                                              .setWatchId(id)
                                              .setCreated(true)
                                              .build();
                                      if (start > 0 && start < compacted) {
                                        out.send(created);
                                        out.send(
                                            WatchResponse.newBuilder()
                                                .setHeader(store.header(now))
                                                .setWatchId(id)
                                                .setCanceled(true)
                                                .setCompactRevision(compacted)
                                                .setCancelReason(
                                                    "etcdserver: mvcc: required revision has been compacted")
                                                .build());
                                        return Async.done();
                                      }
                                      long after = start > 0 ? start - 1 : now;
                                      return store
                                          .tokenAfter(after)
                                          .thenAccept(
                                              token -> {
                                                Active w = new Active(id, Math.min(after, now));
                                                watches.put(id, w);
                                                out.send(created);
                                                run(w, info, range, c, token);
                                              });
                                    })))
        .exceptionally(
            failure -> {
              StatusRuntimeException status = EtcdErrors.of(failure);
              if (refusesRequest(status)) {
                out.send(
                    WatchResponse.newBuilder()
                        .setHeader(store.header())
                        .setWatchId(id)
                        .setCreated(true)
                        .setCanceled(true)
                        .setCancelReason(status.getStatus().getDescription())
                        .build());
              } else {
                abort(status);
              }
              return null;
            });
  }

  private void run(
      Active w, KeyspaceInfo info, KeyRange range, WatchCreateRequest c, String token) {
    dev.cohort.kv.WatchRequest request = range.toWatchRequest().from(token);
    if (c.getPrevKv()) {
      request = request.withPrevKv();
    }
    boolean noPut = c.getFiltersList().contains(WatchCreateRequest.FilterType.NOPUT);
    boolean noDelete = c.getFiltersList().contains(WatchCreateRequest.FilterType.NODELETE);
    var materialized =
        store
            .kv()
            .watch(store.keyspaceName(), request)
            .viaMat(KillSwitches.single(), Keep.right())
            .toMat(Sink.foreach(e -> deliver(w, info, e, range, noPut, noDelete)), Keep.both())
            .run(store.materializer());
    w.kill = materialized.first();
    if (w.cancelled) {
      w.kill.shutdown();
    }
    AskStages.on(materialized.second(), store.materializer().executionContext())
        .whenComplete(
            (done, failure) -> {
              if (failure != null && watches.remove(w.id) != null) {
                // kv's watch failed (overflow, partition unavailable): end the whole stream as
                // unavailable, so that the client reconnects and resumes every watch from its
                // revision
                abort(EtcdErrors.of(failure));
              }
            });
    if (c.getProgressNotify()) {
      long every = store.settings().watchProgressInterval().toMillis();
      w.progress =
          store
              .system()
              .scheduler()
              .scheduleAtFixedRate(
                  java.time.Duration.ofMillis(every),
                  java.time.Duration.ofMillis(every),
                  () -> progressTick(w),
                  store.system().executionContext());
    }
  }

  /**
   * Collects the events of one revision that the watch wants and sends them in one response once
   * the revision's last event came (kv marks it in the event's token), as etcd groups them.
   */
  private void deliver(
      Active w, KeyspaceInfo info, WatchEvent e, KeyRange range, boolean noPut, boolean noDelete) {
    long revision = e.header().revision();
    if (e.snapshot()) {
      // kv no longer holds the history this watch starts from: etcd's answer is compact_revision.
      if (watches.remove(w.id) != null) {
        w.stop();
        out.send(
            WatchResponse.newBuilder()
                .setHeader(store.header(revision))
                .setWatchId(w.id)
                .setCanceled(true)
                .setCompactRevision(revision)
                .setCancelReason("etcdserver: mvcc: required revision has been compacted")
                .build());
      }
      return;
    }
    boolean put = e.type() == WatchEvent.Type.PUT;
    if (range.contains(e.kv().key()) && !(put && noPut) && !(!put && noDelete)) {
      Event.Builder event =
          Event.newBuilder()
              .setType(put ? Event.EventType.PUT : Event.EventType.DELETE)
              .setKv(EtcdStore.toEtcd(e.kv(), false));
      if (e.prevKv() != null) {
        event.setPrevKv(EtcdStore.toEtcd(e.prevKv(), false));
      }
      w.batch.add(event.build());
    }
    if (!ResumeTokens.endsRevision(e.token(), info, 0)) {
      return;
    }
    w.position = Math.max(w.position, revision);
    if (!w.batch.isEmpty()) {
      w.quiet = false;
      out.send(
          WatchResponse.newBuilder()
              .setHeader(store.header(revision))
              .setWatchId(w.id)
              .addAllEvents(w.batch)
              .build());
      w.batch.clear();
    }
  }

  private void progressTick(Active w) {
    if (w.quiet && !w.cancelled) {
      out.send(
          WatchResponse.newBuilder().setHeader(store.header(w.position)).setWatchId(w.id).build());
    }
    w.quiet = true;
  }

  private CompletionStage<Void> cancel(WatchCancelRequest c) {
    Active w = watches.remove(c.getWatchId());
    if (w != null) {
      w.stop();
    }
    out.send(
        WatchResponse.newBuilder()
            .setHeader(store.header())
            .setWatchId(c.getWatchId())
            .setCanceled(true)
            .build());
    return Async.done();
  }

  /** A progress answer (watch id -1, as etcd): every watch has sent everything up to it. */
  private CompletionStage<Void> progress() {
    long revision = watches.values().stream().mapToLong(w -> w.position).min().orElse(-1);
    if (revision >= 0) {
      out.send(WatchResponse.newBuilder().setHeader(store.header(revision)).setWatchId(-1).build());
      return Async.done();
    }
    return store
        .currentRevision()
        .thenAccept(
            now ->
                out.send(
                    WatchResponse.newBuilder()
                        .setHeader(store.header(now))
                        .setWatchId(-1)
                        .build()));
  }

  /**
   * Whether a create failed on its request (answered as a cancelled watch) rather than on Cohort.
   */
  private static boolean refusesRequest(StatusRuntimeException status) {
    return switch (status.getStatus().getCode()) {
      case INVALID_ARGUMENT, OUT_OF_RANGE, UNIMPLEMENTED, FAILED_PRECONDITION -> true;
      default -> false;
    };
  }

  private void abort(StatusRuntimeException status) {
    stopAll();
    out.fail(
        io.grpc.Status.UNAVAILABLE
            .withDescription(status.getStatus().getDescription())
            .asRuntimeException());
  }

  @Override
  public void onError(Throwable t) {
    stopAll();
    out.close();
  }

  @Override
  public void onCompleted() {
    stopAll();
    out.complete();
  }

  private void stopAll() {
    watches.values().forEach(Active::stop);
    watches.clear();
  }
}
