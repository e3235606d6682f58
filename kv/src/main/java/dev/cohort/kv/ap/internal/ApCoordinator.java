package dev.cohort.kv.ap.internal;

import dev.cohort.kv.KvError;
import dev.cohort.kv.KvException;
import dev.cohort.kv.ap.ApSettings;
import dev.cohort.kv.ap.Consistency;
import dev.cohort.persistence.AskStages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Coordinates one AP read or write on the key's replicas, on whichever node received it.
 *
 * <p><b>Writes</b> go to every replica of the key. If fewer replicas are alive than the level
 * requires, nothing is sent and the write fails with {@code consistency_unavailable} (Cassandra's
 * UnavailableException). Otherwise the write is acknowledged as soon as {@code required} replicas
 * report it on disk; a replica that is down, or does not answer within {@code request-timeout},
 * gets a hint on this node's disk instead (within {@code hints.window}).
 *
 * <p><b>Reads</b> ask {@code required} live replicas, this node first when it is one: one full read
 * and digests from the others. The newest entry by {@link ApEntry#beats} wins (fetched in full from
 * its replica when it came as a digest); replicas that answered an older entry get the newest one
 * in the background (read repair).
 *
 * <p>Thread-safe; per-request state lives in {@link WriteRound} and the futures.
 */
final class ApCoordinator {
  private final ActorSystem<?> system;
  private final ApSettings settings;
  private final String self;
  private final ApRing ring;
  private final ApStore store;
  private final HybridLogicalClock clock;
  private final ApMetrics metrics;
  private final ActorRefResolver resolver;
  private final ConcurrentHashMap<String, ActorRef<ApReplica.Command>> replicas =
      new ConcurrentHashMap<>();

  ApCoordinator(
      ActorSystem<?> system,
      ApSettings settings,
      String self,
      ApRing ring,
      ApStore store,
      HybridLogicalClock clock,
      ApMetrics metrics) {
    this.system = system;
    this.settings = settings;
    this.self = self;
    this.ring = ring;
    this.store = store;
    this.clock = clock;
    this.metrics = metrics;
    this.resolver = ActorRefResolver.get(system);
  }

  String self() {
    return self;
  }

  /**
   * The replica actor of {@code node} (an address): the registered one, else resolved by its path
   * (only for a node that is not alive, whose messages are lost either way).
   */
  ActorRef<ApReplica.Command> replica(String node) {
    ActorRef<ApReplica.Command> listed = ring.replicaOf(node);
    return listed != null
        ? listed
        : replicas.computeIfAbsent(
            node, n -> resolver.resolveActorRef(n + "/system/" + ApReplica.NAME));
  }

  <T> CompletionStage<T> ask(String node, Function<ActorRef<T>, ApReplica.Command> message) {
    return AskStages.on(
        AskPattern.ask(
            replica(node), message::apply, settings.requestTimeout(), system.scheduler()),
        system.executionContext());
  }

  /**
   * Sends catalog entries to every other live node of the ring; completes when all answered or
   * failed (the periodic exchange reaches the others later).
   */
  CompletableFuture<Void> spreadCatalog(Map<String, Integer> entries) {
    List<CompletableFuture<ApReplica.CatalogStored>> sent = new ArrayList<>();
    for (String node : ring.nodes()) {
      if (!node.equals(self) && ring.alive(node)) {
        sent.add(
            this.<ApReplica.CatalogStored>ask(
                    node, r -> new ApReplica.CatalogPut(entries, Map.of(), r))
                .toCompletableFuture());
      }
    }
    return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new))
        .handle((v, failure) -> null);
  }

  Duration timeout() {
    return settings.requestTimeout();
  }

  /** The replicas of {@code key} that are alive, this node first when it is one. */
  private List<String> alive(List<String> replicasOfKey) {
    List<String> alive = new ArrayList<>();
    for (String r : replicasOfKey) {
      if (r.equals(self)) {
        alive.addFirst(r);
      } else if (ring.alive(r)) {
        alive.add(r);
      }
    }
    return alive;
  }

  static KvException unavailable(
      String what,
      Consistency c,
      int required,
      List<String> replicas,
      int alive,
      int acknowledged,
      String why) {
    return KvError.CONSISTENCY_UNAVAILABLE.exception(
        what
            + " at "
            + c.wireName()
            + " needs "
            + required
            + " of "
            + replicas.size()
            + " replicas "
            + replicas
            + " (required="
            + required
            + ", alive="
            + alive
            + ", acknowledged="
            + acknowledged
            + "): "
            + why);
  }

  // ---------------------------------------------------------------------------------- writes

  /**
   * Writes {@code entry} at {@code c} to the key's write set: while ranges move, a replica beyond
   * the natural ones needs one more acknowledgement each (Cassandra's pending endpoints). Completes
   * with the newest entry the acknowledging replicas held before (null: none).
   */
  CompletionStage<ApEntry> write(
      String keyspace,
      long incarnation,
      ApRing.WriteSet writeSet,
      String key,
      ApEntry entry,
      Consistency c,
      String what) {
    List<String> replicasOfKey = writeSet.all();
    int required =
        c.required(writeSet.natural().size()) + replicasOfKey.size() - writeSet.natural().size();
    List<String> alive = alive(replicasOfKey);
    if (alive.size() < required) {
      return CompletableFuture.failedFuture(
          unavailable(
              what,
              c,
              required,
              replicasOfKey,
              alive.size(),
              0,
              "too few replicas are alive; nothing was written"));
    }
    WriteRound round = new WriteRound(what, c, required, replicasOfKey, alive.size(), entry);
    for (String node : replicasOfKey) {
      if (!alive.contains(node)) {
        hint(node, keyspace, incarnation, key, entry);
        continue;
      }
      CompletionStage<ApReplica.WriteAck> ack =
          node.equals(self)
              ? store
                  .apply(keyspace, incarnation, key, entry)
                  .thenApply(a -> new ApReplica.WriteAck(self, a.previous(), a.current()))
              : this.<ApReplica.WriteAck>ask(
                  node, r -> new ApReplica.Write(keyspace, incarnation, key, entry, r));
      ack.whenComplete(
          (a, failure) -> {
            if (failure == null) {
              observe(a.current().timestamp());
              round.ack(a, this::offsetExceeded);
            } else {
              hint(node, keyspace, incarnation, key, entry);
              round.fail();
            }
          });
    }
    return round.result();
  }

  private KvException offsetExceeded(ApEntry current) {
    if (settings.maxClockOffset().isZero()) {
      return null;
    }
    long ahead =
        HybridLogicalClock.physicalMillis(current.timestamp()) - System.currentTimeMillis();
    if (ahead <= settings.maxClockOffset().toMillis()) {
      return null;
    }
    metrics.clockOffsetRejected();
    return KvError.CLOCK_OFFSET_EXCEEDED.exception(
        "the key's current entry carries a timestamp "
            + ahead
            + " ms ahead of this node's clock"
            + " (over cohort.kv.ap.max-clock-offset), which the write could not beat; the node that"
            + " wrote it ("
            + current.writer()
            + ") has a clock running ahead: check its time"
            + " synchronisation");
  }

  /** Keeps the write for {@code node} on this node's disk, if within the hint window. */
  void hint(String node, String keyspace, long incarnation, String key, ApEntry entry) {
    if (!ring.withinHintWindow(node)) {
      metrics.hint("dropped");
      return;
    }
    store
        .addHint(new ApHint(node, keyspace, incarnation, key, entry))
        .thenRun(() -> metrics.hint("stored"));
  }

  void observe(long timestamp) {
    try {
      clock.observe(timestamp);
    } catch (HybridLogicalClock.OffsetExceeded e) {
      metrics.clockOffsetRejected();
    }
  }

  // ---------------------------------------------------------------------------------- reads

  /** The newest entry of {@code key} among {@code required} replicas (null: none holds one). */
  CompletionStage<ApEntry> read(
      String keyspace,
      long incarnation,
      List<String> replicasOfKey,
      String key,
      Consistency c,
      String what) {
    int required = c.required(replicasOfKey.size());
    List<String> alive = alive(replicasOfKey);
    if (alive.size() < required) {
      return CompletableFuture.failedFuture(
          unavailable(
              what, c, required, replicasOfKey, alive.size(), 0, "too few replicas are alive"));
    }
    List<String> asked = alive.subList(0, required);
    List<CompletableFuture<ApReplica.ReadReply>> replies = new ArrayList<>();
    for (int i = 0; i < asked.size(); i++) {
      replies.add(readOne(keyspace, incarnation, asked.get(i), key, i > 0).toCompletableFuture());
    }
    return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new))
        .handle(
            (v, failure) -> {
              if (failure != null) {
                long answered =
                    replies.stream()
                        .filter(f -> f.isDone() && !f.isCompletedExceptionally())
                        .count();
                throw unavailable(
                    what,
                    c,
                    required,
                    replicasOfKey,
                    alive.size(),
                    (int) answered,
                    "not every replica asked answered within "
                        + settings.requestTimeout().toMillis()
                        + " ms");
              }
              return replies.stream().map(CompletableFuture::join).toList();
            })
        .thenCompose(answers -> resolve(keyspace, incarnation, key, answers));
  }

  private CompletionStage<ApReplica.ReadReply> readOne(
      String keyspace, long incarnation, String node, String key, boolean digest) {
    if (node.equals(self)) {
      ApEntry e = store.get(keyspace, incarnation, key);
      return CompletableFuture.completedFuture(
          new ApReplica.ReadReply(self, digest && e != null ? ApReplica.digestOf(e) : e, digest));
    }
    return ask(node, r -> new ApReplica.Read(keyspace, incarnation, key, digest, r));
  }

  /** Picks the newest answer, fetches it in full if it was a digest, repairs stale replicas. */
  private CompletionStage<ApEntry> resolve(
      String keyspace, long incarnation, String key, List<ApReplica.ReadReply> answers) {
    ApReplica.ReadReply newest = null;
    for (ApReplica.ReadReply a : answers) {
      if (a.entry() != null
          && (newest == null || newest.entry() == null || a.entry().beats(newest.entry()))) {
        newest = a;
      }
    }
    if (newest == null) {
      return CompletableFuture.completedFuture(null);
    }
    observe(newest.entry().timestamp());
    ApReplica.ReadReply winner = newest;
    CompletionStage<ApEntry> full =
        !winner.digest() || winner.entry().isTombstone()
            ? CompletableFuture.completedFuture(winner.entry())
            : readOne(keyspace, incarnation, winner.node(), key, false).thenApply(r -> r.entry());
    return full.thenApply(
        entry -> {
          if (entry == null) {
            return null;
          }
          for (ApReplica.ReadReply a : answers) {
            if (a.entry() == null || !sameVersion(a.entry(), entry)) {
              repair(a.node(), keyspace, incarnation, key, entry);
            }
          }
          return entry;
        });
  }

  static boolean sameVersion(ApEntry a, ApEntry b) {
    return a.timestamp() == b.timestamp()
        && a.writer().equals(b.writer())
        && a.isTombstone() == b.isTombstone();
  }

  /** Read repair: sends the newest entry to a replica that answered an older one. */
  private void repair(String node, String keyspace, long incarnation, String key, ApEntry entry) {
    metrics.readRepair();
    if (node.equals(self)) {
      store.apply(keyspace, incarnation, key, entry);
    } else {
      replica(node)
          .tell(new ApReplica.Write(keyspace, incarnation, key, entry, system.ignoreRef()));
    }
  }
}
