package dev.cohort.kv.internal;

import dev.cohort.kv.KeyspaceInfo;
import dev.cohort.kv.KvError;
import dev.cohort.kv.KvException;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.WatchEvent;
import dev.cohort.kv.WatchRequest;
import dev.cohort.kv.ap.internal.ApKvRouter;
import dev.cohort.persistence.AskStages;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;

/**
 * {@code Kv.watch}: checks a watch request, picks the partitions its key or prefix can touch, keeps
 * the part of a resume token that falls in them, and gives each materialization of the returned
 * source its own {@link KvWatcher} actor on this node (AP keyspaces are watched through {@link
 * ApKvRouter}). The source's materialized value completes once the watch is established (see {@link
 * KvWatcher}); it fails as the source does when the request or keyspace is refused.
 *
 * <p>Invariants: a watcher lives exactly as long as its stream — it is started when the source is
 * materialized and told to stop when the stream ends, however it ends; each stream buffers at most
 * {@code watch.buffer-events} events; a bad request or keyspace fails the source with the {@code
 * KvException} instead of throwing. Thread-safe.
 */
final class Watches {
  // Names the watcher actors; they must be unique per system, and one counter per JVM is enough.
  private static final AtomicLong WATCH_IDS = new AtomicLong();

  private final ActorSystem<?> system;
  private final KvSettings settings;
  private final KvMetrics metrics;
  private final MeteredCalls calls;
  private final KeyspaceDirectory directory;
  private final ApKvRouter ap;

  Watches(
      ActorSystem<?> system,
      KvSettings settings,
      KvMetrics metrics,
      MeteredCalls calls,
      KeyspaceDirectory directory,
      ApKvRouter ap) {
    this.system = system;
    this.settings = settings;
    this.metrics = metrics;
    this.calls = calls;
    this.directory = directory;
    this.ap = ap;
  }

  Source<WatchEvent, CompletionStage<Done>> watch(String keyspace, WatchRequest request) {
    CompletionStage<Source<WatchEvent, CompletionStage<Done>>> source =
        calls.call(
            keyspace,
            "watch",
            () -> {
              if (request == null || (request.key() == null) == (request.prefix() == null)) {
                throw KvError.INVALID_REQUEST.exception("a watch needs either a key or a prefix");
              }
              if (request.key() != null) {
                Keys.checkKey(request.key());
              }
              return directory
                  .resolve(keyspace)
                  .thenApply(
                      ks -> ApKvRouter.isAp(ks) ? ap.watch(ks, request) : watchSource(ks, request));
            });
    CompletionStage<Source<WatchEvent, CompletionStage<Done>>> orFailed =
        source.handle(
            (s, failure) -> {
              if (failure == null) {
                return s;
              }
              KvException e = KvFailures.toKvException(failure);
              return Source.<WatchEvent>failed(e)
                  .mapMaterializedValue(m -> CompletableFuture.<Done>failedFuture(e));
            });
    return Source.completionStageSource(orFailed)
        .mapMaterializedValue(
            inner ->
                AskStages.on(inner, system.executionContext())
                    .thenCompose(established -> established));
  }

  private Source<WatchEvent, CompletionStage<Done>> watchSource(
      KeyspaceInfo ks, WatchRequest request) {
    List<Integer> scope =
        request.key() != null
            ? List.of(Keys.partitionOf(request.key(), ks.partitions()))
            : KeyspaceDirectory.scope(ks, request.prefix());
    Map<Integer, Tokens.Position> from =
        request.from() == null || request.from().isEmpty()
            ? Map.of()
            : Tokens.parseResume(request.from(), ks.incarnation(), ks.partitions());
    TreeMap<Integer, Tokens.Position> inScope = new TreeMap<>();
    from.forEach(
        (p, pos) -> {
          if (scope.contains(p)) {
            inScope.put(p, pos);
          }
        });
    Filter filter = new Filter(request.key(), request.prefix());
    KvWatcher.Spec spec =
        new KvWatcher.Spec(
            ks.name(), ks.incarnation(), ks.partitions(), scope, filter, request.prevKv(), inScope);
    return Source.<WatchEvent>queue(settings.watchBufferEvents())
        .mapMaterializedValue(
            queue -> {
              CompletableFuture<Done> established = new CompletableFuture<>();
              ActorRef<KvWatcher.Command> watcher =
                  system.systemActorOf(
                      KvWatcher.create(spec, queue, established, settings.askTimeout(), metrics),
                      "kv-watch-" + WATCH_IDS.incrementAndGet(),
                      Props.empty());
              return Pair.create(watcher, established);
            })
        .watchTermination(
            (started, done) -> {
              done.whenComplete((d, e) -> started.first().tell(KvWatcher.Stop.INSTANCE));
              // Completed by the watcher actor: callers continue on the dispatcher, not in it.
              return AskStages.on(started.second(), system.executionContext());
            });
  }
}
