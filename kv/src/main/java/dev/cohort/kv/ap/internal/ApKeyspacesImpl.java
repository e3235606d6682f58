package dev.cohort.kv.ap.internal;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.kv.KvException;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.ap.ApKeyspace;
import dev.cohort.kv.ap.ApKeyspaces;
import dev.cohort.kv.ap.ApRangeResult;
import dev.cohort.kv.ap.ApSettings;
import dev.cohort.kv.ap.ApValue;
import dev.cohort.kv.ap.ApWatchEvent;
import dev.cohort.kv.ap.ApWriteResult;
import dev.cohort.kv.ap.Consistency;
import dev.cohort.observability.Metrics;
import dev.cohort.persistence.CohortException;
import dev.cohort.persistence.ErrorKind;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.Replicator;
import org.apache.pekko.cluster.ddata.ReplicatorSettings;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The embedded AP keyspace API of one node: validates at the edge, maps each key to its bucket and
 * each request to a Distributed Data {@code Update} or {@code Get} on this node's replicator at the
 * requested consistency, and turns the replicator's answers into results or {@link KvException}s.
 * Timestamps come from the node's {@link HybridLogicalClock}, advanced inside the update function
 * past the entry being replaced, so that a write always beats what this replica had seen of its key.
 *
 * <p>The replicator is Cohort's own ({@code /system/cohortKvAp}, not the {@code DistributedData}
 * extension's), so that its settings (durable keys, store, gossip interval) are AP keyspaces' alone.
 *
 * <p>Thread-safe: state is the clock (atomic) and immutable settings.
 */
public final class ApKeyspacesImpl implements ApKeyspaces {
  private static final Pattern KEYSPACE_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
  private static final AtomicLong WATCH_IDS = new AtomicLong();
  static final String REPLICATOR_NAME = "cohortKvAp";

  private final ActorSystem<?> system;
  private final ApSettings settings;
  private final ActorRef replicator;
  private final HybridLogicalClock clock;
  private final String selfNode;
  private final ApMetrics metrics;
  private final Cluster cluster;

  private ApKeyspacesImpl(ActorSystem<?> system, ApSettings settings) {
    this.system = system;
    this.settings = settings;
    this.clock = HybridLogicalClock.system(settings.maxClockOffset().toMillis());
    this.cluster = Cluster.get(Adapter.toClassic(system));
    this.selfNode = cluster.selfAddress().toString();
    this.metrics = new ApMetrics(Metrics.get(system));
    this.replicator =
        ((org.apache.pekko.actor.ExtendedActorSystem) Adapter.toClassic(system))
            .systemActorOf(Replicator.props(replicatorSettings()), REPLICATOR_NAME);
    system.systemActorOf(
        ApSweeper.create(replicator, settings, metrics), "kv-ap-sweeper", Props.empty());
  }

  /**
   * Lets the clock follow a timestamp read from a replica. One stamped beyond the maximum clock
   * offset is still served (it is the replicas' data) but not followed, so one node's runaway clock
   * cannot drag this one along.
   */
  private void observe(long timestamp) {
    try {
      clock.observe(timestamp);
    } catch (HybridLogicalClock.OffsetExceeded e) {
      metrics.clockOffsetRejected();
      system.log().warn("AP keyspaces: not following a read {}; check the writer's time synchronisation",
          e.getMessage());
    }
  }

  public static ApKeyspaces start(ActorSystem<?> system, ApSettings settings) {
    return new ApKeyspacesImpl(system, settings);
  }

  private ReplicatorSettings replicatorSettings() {
    Config base = system.settings().config().getConfig("pekko.cluster.distributed-data");
    Config overrides =
        ConfigFactory.parseMap(
            Map.of(
                "role", "",
                "gossip-interval", settings.gossipInterval().toMillis() + "ms",
                "notify-subscribers-interval", settings.notifyInterval().toMillis() + "ms",
                "durable.keys",
                settings.durable() ? List.of(ApBucketKey.PREFIX + "*") : List.of()));
    ReplicatorSettings rs = ReplicatorSettings.apply(overrides.withFallback(base));
    if (settings.durable()) {
      rs =
          rs.withDurableStoreProps(
              FileDurableStore.props(
                  settings.durableDirectory(), settings.fsync(), settings.writeBehindInterval()));
    }
    return rs;
  }

  @Override
  public ApSettings settings() {
    return settings;
  }

  @Override
  public ApKeyspace keyspace(String name, long incarnation) {
    if (name == null || !KEYSPACE_NAME.matcher(name).matches()) {
      throw KvException.invalid(
          "invalid_keyspace_name",
          "keyspace name '" + name + "' must match [a-z0-9][a-z0-9._-]{0,63}");
    }
    return new Keyspace(name, incarnation);
  }

  // ---------------------------------------------------------------------------------- mapping

  private Replicator.WriteConsistency writeLevel(Consistency c) {
    return switch (c) {
      case ONE -> Replicator.writeLocal();
      case QUORUM -> new Replicator.WriteMajority(settings.requestTimeout());
      case ALL -> new Replicator.WriteAll(settings.requestTimeout());
    };
  }

  private Replicator.ReadConsistency readLevel(Consistency c) {
    return switch (c) {
      case ONE -> Replicator.readLocal();
      case QUORUM -> new Replicator.ReadMajority(settings.requestTimeout());
      case ALL -> new Replicator.ReadAll(settings.requestTimeout());
    };
  }

  /** The replicator answers within the consistency timeout; the ask only guards against silence. */
  private CompletionStage<Object> ask(Object message) {
    return Patterns.ask(replicator, message, settings.requestTimeout().plus(Duration.ofSeconds(5)));
  }

  /**
   * The {@code consistency_unavailable} error. Distributed Data reports only that the level was
   * not reached in time, not how many replicas acknowledged; the message says what this node knows:
   * how many replicas the level needs and how many are reachable from here.
   */
  KvException unavailable(String what, Consistency c) {
    List<Member> up = new ArrayList<>();
    cluster.state().getMembers().forEach(m -> {
      if (m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp()) {
        up.add(m);
      }
    });
    int n = Math.max(1, up.size());
    long unreachable = up.stream().filter(m -> cluster.state().getUnreachable().contains(m)).count();
    int needed = c == Consistency.ALL ? n : n / 2 + 1;
    return new KvException(
        ErrorKind.UNAVAILABLE,
        "consistency_unavailable",
        what + " at " + c.wireName() + " needs " + needed + " of " + n + " replicas within "
            + settings.requestTimeout().toMillis() + " ms and did not get them: " + (n - unreachable)
            + " of " + n + " replicas (this node included) are reachable from this node"
            + " (Distributed Data reports that the level was not reached in time, not how many"
            + " replicas answered)");
  }

  static KvException toKvException(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof KvException e) {
      return e;
    }
    if (cause instanceof CohortException e) {
      return new KvException(e.kind(), e.code(), e.getMessage(), e);
    }
    if (cause instanceof TimeoutException || cause instanceof org.apache.pekko.pattern.AskTimeoutException) {
      return new KvException(
          ErrorKind.TIMEOUT, "timeout", "the AP replicator did not answer; outcome unknown", cause);
    }
    return new KvException(ErrorKind.UNAVAILABLE, "unavailable", String.valueOf(cause), cause);
  }

  // ---------------------------------------------------------------------------------- keyspace

  private final class Keyspace implements ApKeyspace {
    private final String name;
    private final long incarnation;

    Keyspace(String name, long incarnation) {
      this.name = name;
      this.incarnation = incarnation;
    }

    @Override
    public String name() {
      return name;
    }

    private ApBucketKey bucketKey(String key) {
      return ApBucketKey.of(name, incarnation, ApBucketKey.bucketOf(key, settings.buckets()));
    }

    private <T> CompletionStage<T> call(
        String op, Consistency c, Supplier<CompletionStage<T>> body) {
      long start = System.nanoTime();
      CompletionStage<T> stage;
      try {
        if (c == null) {
          throw KvException.invalid("invalid_consistency", "consistency must be one, quorum or all");
        }
        stage = body.get();
      } catch (RuntimeException e) {
        stage = CompletableFuture.failedFuture(e);
      }
      return stage.handle((value, failure) -> {
        if (failure == null) {
          metrics.request(name, op, c, "ok", start);
          return CompletableFuture.completedFuture(value);
        }
        KvException error = toKvException(failure);
        metrics.request(name, op, c, error.code(), start);
        return CompletableFuture.<T>failedFuture(error);
      }).thenCompose(s -> s);
    }

    @Override
    public CompletionStage<ApWriteResult> put(
        String key, byte[] value, long ttlSeconds, Consistency consistency) {
      return call("put", consistency, () -> {
        checkKey(key);
        if (value == null) {
          throw KvException.invalid("invalid_request", "value is missing");
        }
        if (value.length > settings.maxValueBytes()) {
          throw KvException.tooLarge("value_too_large", "value of " + value.length
              + " bytes exceeds cohort.kv.ap.max-value-bytes = " + settings.maxValueBytes());
        }
        if (ttlSeconds < 0 || ttlSeconds > settings.maxTtl().toSeconds()) {
          throw KvException.invalid("invalid_ttl", "ttlSeconds must be within 0.."
              + settings.maxTtl().toSeconds() + " (0: no TTL), got " + ttlSeconds);
        }
        return write(key, consistency, "put", ts -> {
          long physical = HybridLogicalClock.physicalMillis(ts);
          long expires = ttlSeconds == 0 ? 0 : physical + ttlSeconds * 1000;
          long purge = ttlSeconds == 0 ? 0 : expires + settings.tombstoneTtl().toMillis();
          return new ApEntry(value.clone(), ts, selfNode, expires, purge);
        });
      });
    }

    @Override
    public CompletionStage<ApWriteResult> delete(String key, Consistency consistency) {
      return call("delete", consistency, () -> {
        checkKey(key);
        return write(key, consistency, "delete", ts -> new ApEntry(null, ts, selfNode, 0,
            HybridLogicalClock.physicalMillis(ts) + settings.tombstoneTtl().toMillis()));
      });
    }

    private CompletionStage<ApWriteResult> write(
        String key, Consistency consistency, String what,
        java.util.function.LongFunction<ApEntry> entryAt) {
      ApBucketKey bucketKey = bucketKey(key);
      AtomicReference<ApWriteResult> result = new AtomicReference<>();
      // Runs once, inside the replicator: the timestamp is taken after observing the entry it
      // replaces, so the write beats everything this replica holds for the key.
      java.util.function.Function<ApBucket, ApBucket> modify = bucket -> {
        long now = System.currentTimeMillis();
        ApEntry current = bucket.entry(key);
        // Throws OffsetExceeded for an entry stamped too far ahead; the replicator answers
        // ModifyFailure and nothing is written.
        long ts = current == null ? clock.now() : clock.observe(current.timestamp());
        result.set(new ApWriteResult(
            key, ts, current != null && current.liveAt(now) ? toValue(key, current) : null));
        return bucket.purge(now).put(key, entryAt.apply(ts));
      };
      Replicator.Update<ApBucket> update =
          new Replicator.Update<>(bucketKey, ApBucket.EMPTY, writeLevel(consistency), Optional.empty(), modify);
      return ask(update).thenApply(reply -> {
        if (reply instanceof Replicator.UpdateSuccess<?>) {
          return result.get();
        }
        if (reply instanceof Replicator.UpdateTimeout<?>) {
          throw unavailable(what + " of key '" + key + "' in AP keyspace '" + name
              + "' (applied on this node's replica, not rolled back)", consistency);
        }
        if (reply instanceof Replicator.UpdateDataDeleted<?>) {
          throw KvException.notFound("keyspace_not_found", "AP keyspace '" + name + "' was deleted");
        }
        if (reply instanceof Replicator.StoreFailure<?>) {
          throw new KvException(ErrorKind.UNAVAILABLE, "unavailable",
              "the durable store of this node failed to write the " + what + " of '" + key + "'");
        }
        if (reply instanceof Replicator.ModifyFailure<?> failure
            && failure.cause() instanceof HybridLogicalClock.OffsetExceeded offset) {
          metrics.clockOffsetRejected();
          throw new KvException(ErrorKind.UNAVAILABLE, "clock_offset_exceeded",
              what + " of key '" + key + "' in AP keyspace '" + name + "' refused, nothing written: "
                  + "the key's current entry carries " + offset.getMessage()
                  + " (cohort.kv.ap.max-clock-offset); the node that wrote it has a clock running"
                  + " ahead: check its time synchronisation");
        }
        throw new KvException(ErrorKind.UNAVAILABLE, "unavailable", "replicator answered " + reply);
      });
    }

    /** The bucket as read at {@code consistency}; empty when no replica asked holds it. */
    private CompletionStage<ApBucket> readBucket(ApBucketKey bucketKey, Consistency consistency,
        String what) {
      return ask(new Replicator.Get<>(bucketKey, readLevel(consistency))).thenApply(reply -> {
        if (reply instanceof Replicator.GetSuccess<?> success) {
          return (ApBucket) success.dataValue();
        }
        if (reply instanceof Replicator.NotFound<?>) {
          return ApBucket.EMPTY;
        }
        if (reply instanceof Replicator.GetFailure<?>) {
          throw unavailable(what + " in AP keyspace '" + name + "'", consistency);
        }
        if (reply instanceof Replicator.GetDataDeleted<?>) {
          throw KvException.notFound("keyspace_not_found", "AP keyspace '" + name + "' was deleted");
        }
        throw new KvException(ErrorKind.UNAVAILABLE, "unavailable", "replicator answered " + reply);
      });
    }

    @Override
    public CompletionStage<ApValue> get(String key, Consistency consistency) {
      return call("get", consistency, () -> {
        checkKey(key);
        return readBucket(bucketKey(key), consistency, "read of key '" + key + "'").thenApply(b -> {
          ApEntry e = b.entry(key);
          if (e != null) {
            observe(e.timestamp());
          }
          if (e == null || !e.liveAt(System.currentTimeMillis())) {
            throw KvException.notFound("key_not_found",
                "key '" + key + "' not found in AP keyspace '" + name + "'");
          }
          return toValue(key, e);
        });
      });
    }

    @Override
    public CompletionStage<ApRangeResult> range(String prefix, int limit, Consistency consistency) {
      return call("range", consistency, () -> {
        if (prefix == null) {
          throw KvException.invalid("invalid_request", "prefix is missing (use \"\" for all keys)");
        }
        if (limit < 0) {
          throw KvException.invalid("invalid_request", "limit must not be negative");
        }
        CompletionStage<List<ApBucketKey>> keys = consistency == Consistency.ONE
            ? localBucketKeys()
            : CompletableFuture.completedFuture(IntStream.range(0, settings.buckets())
                .mapToObj(i -> ApBucketKey.of(name, incarnation, i)).toList());
        return keys.thenCompose(list -> Source.from(list)
            .mapAsyncUnordered(settings.rangeParallelism(),
                k -> readBucket(k, consistency, "range read of prefix '" + prefix + "'"))
            .runWith(Sink.fold(new TreeMap<String, ApValue>(), (acc, bucket) -> {
              long now = System.currentTimeMillis();
              bucket.entries().tailMap(prefix, true).forEach((k, e) -> {
                if (k.startsWith(prefix) && e.liveAt(now)) {
                  acc.put(k, toValue(k, e));
                }
              });
              return acc;
            }), system))
            .thenApply(all -> {
              List<ApValue> values = new ArrayList<>(all.values());
              boolean more = limit > 0 && values.size() > limit;
              return new ApRangeResult(List.copyOf(more ? values.subList(0, limit) : values), more);
            });
      });
    }

    private CompletionStage<List<ApBucketKey>> localBucketKeys() {
      String storagePrefix = ApBucketKey.storagePrefix(name, incarnation);
      return ask(Replicator.GetKeyIds$.MODULE$).thenApply(reply ->
          ((Replicator.GetKeyIdsResult) reply).getKeyIds().stream()
              .filter(id -> id.startsWith(storagePrefix))
              .map(ApBucketKey::new)
              .toList());
    }

    @Override
    public Source<ApWatchEvent, NotUsed> watch(String prefix) {
      if (prefix == null) {
        return Source.failed(KvException.invalid("invalid_request", "prefix is missing"));
      }
      List<ApBucketKey> keys = IntStream.range(0, settings.buckets())
          .mapToObj(i -> ApBucketKey.of(name, incarnation, i)).toList();
      return Source.<ApWatchEvent>queue(settings.watchBufferEvents())
          .watchTermination((queue, done) -> {
            var watcher = startWatcher(keys, prefix, queue);
            done.whenComplete((d, failure) -> watcher.tell(ApWatcher.Stop.INSTANCE));
            return NotUsed.getInstance();
          });
    }

    private org.apache.pekko.actor.typed.ActorRef<ApWatcher.Command> startWatcher(
        List<ApBucketKey> keys, String prefix, BoundedSourceQueue<ApWatchEvent> queue) {
      return system.systemActorOf(ApWatcher.create(replicator, keys, prefix, queue),
          "kv-ap-watch-" + WATCH_IDS.incrementAndGet(), Props.empty());
    }

    @Override
    public CompletionStage<Integer> drop() {
      return call("drop", Consistency.QUORUM, () -> localBucketKeys().thenCompose(keys -> {
        List<CompletableFuture<Object>> deletes = new ArrayList<>();
        for (ApBucketKey k : keys) {
          deletes.add(ask(new Replicator.Delete<>(k, writeLevel(Consistency.QUORUM),
              Optional.empty())).toCompletableFuture());
        }
        return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new))
            .thenApply(v -> keys.size());
      }));
    }

    private void checkKey(String key) {
      if (key == null || key.isEmpty()) {
        throw KvException.invalid("invalid_key", "key must not be empty");
      }
      int bytes = key.getBytes(StandardCharsets.UTF_8).length;
      if (bytes > KvSettings.MAX_KEY_BYTES) {
        throw KvException.tooLarge("key_too_large",
            "key of " + bytes + " bytes exceeds " + KvSettings.MAX_KEY_BYTES + " bytes");
      }
    }
  }

  static ApValue toValue(String key, ApEntry e) {
    return new ApValue(key, e.value(), e.timestamp(), e.writer(), e.expiresAtMillis());
  }
}
