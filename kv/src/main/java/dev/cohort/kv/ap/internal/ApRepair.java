package dev.cohort.kv.ap.internal;

import dev.cohort.kv.ap.ApRepairResult;
import dev.cohort.kv.ap.ApSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Anti-entropy repair of one keyspace, run by one node: for every token range it replicates, and
 * every other live replica of that range, it compares hash trees ({@link ApMerkle}); for each leaf
 * that differs it fetches the peer's entries of that leaf into its own store and sends its own to
 * the peer, both merged by last-writer-wins, so afterwards both hold the newest entry of every key
 * either held. Ranges are repaired one after another, so a repair loads the cluster lightly.
 * Progress and streamed bytes go to the metrics. Stateless; thread-safe.
 */
final class ApRepair {
  private final ApCoordinator coordinator;
  private final ApRing ring;
  private final ApStore store;
  private final ApSettings settings;
  private final ApMetrics metrics;
  private final Executor io;

  ApRepair(
      ApCoordinator coordinator,
      ApRing ring,
      ApStore store,
      ApSettings settings,
      ApMetrics metrics,
      Executor io) {
    this.coordinator = coordinator;
    this.ring = ring;
    this.store = store;
    this.settings = settings;
    this.metrics = metrics;
    this.io = io;
  }

  /** Counters of one repair run. */
  private static final class Tally {
    final AtomicInteger rangesDiffering = new AtomicInteger();
    final AtomicInteger leavesDiffering = new AtomicInteger();
    final AtomicLong received = new AtomicLong();
    final AtomicLong sent = new AtomicLong();
    final AtomicInteger skipped = new AtomicInteger();
  }

  CompletionStage<ApRepairResult> repair(String keyspace, long incarnation, int rf) {
    String self = coordinator.self();
    List<ApPlacement.Range> mine = new ArrayList<>();
    for (ApPlacement.Range r : ring.placement().ranges(rf)) {
      if (r.replicas().contains(self)) {
        mine.add(r);
      }
    }
    Tally tally = new Tally();
    CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
    for (int i = 0; i < mine.size(); i++) {
      ApPlacement.Range range = mine.get(i);
      int done = i + 1;
      chain =
          chain
              .thenCompose(v -> repairRange(keyspace, incarnation, range, tally))
              .thenRun(() -> metrics.repairProgress(keyspace, done, mine.size()));
    }
    metrics.repairProgress(keyspace, 0, mine.size());
    return chain.thenApply(
        v ->
            new ApRepairResult(
                mine.size(),
                tally.rangesDiffering.get(),
                tally.leavesDiffering.get(),
                tally.received.get(),
                tally.sent.get(),
                tally.skipped.get()));
  }

  /**
   * Repairs one range with each other replica in turn. Entries this node received from a later peer
   * must still reach the earlier ones, so when a pass received anything a second pass runs (its
   * trees differ only where the first pass left news to spread).
   */
  private CompletableFuture<Void> repairRange(
      String keyspace, long incarnation, ApPlacement.Range range, Tally tally) {
    long before = tally.received.get();
    return pass(keyspace, incarnation, range, tally)
        .thenCompose(
            v ->
                tally.received.get() == before
                    ? CompletableFuture.completedFuture(null)
                    : pass(keyspace, incarnation, range, tally));
  }

  private CompletableFuture<Void> pass(
      String keyspace, long incarnation, ApPlacement.Range range, Tally tally) {
    CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
    for (String peer : range.replicas()) {
      if (peer.equals(coordinator.self())) {
        continue;
      }
      if (!ring.alive(peer)) {
        tally.skipped.incrementAndGet();
        continue;
      }
      chain =
          chain.thenCompose(
              v ->
                  repairWith(peer, keyspace, incarnation, range, tally)
                      .exceptionally(
                          failure -> {
                            tally.skipped.incrementAndGet();
                            return null;
                          }));
    }
    return chain;
  }

  private CompletableFuture<Void> repairWith(
      String peer, String keyspace, long incarnation, ApPlacement.Range range, Tally tally) {
    return differingLeaves(peer, keyspace, incarnation, range.fromExclusive(), range.toInclusive())
        .thenCompose(
            differing -> {
              if (!differing.isEmpty()) {
                tally.rangesDiffering.incrementAndGet();
                tally.leavesDiffering.addAndGet(differing.size());
              }
              CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
              for (long[] leaf : differing) {
                chain =
                    chain.thenCompose(
                        v ->
                            pull(peer, keyspace, incarnation, leaf, "repair")
                                .thenCombine(
                                    push(peer, keyspace, incarnation, leaf, "repair"),
                                    (received, sent) -> {
                                      tally.received.addAndGet(received);
                                      tally.sent.addAndGet(sent);
                                      return (Void) null;
                                    }));
              }
              return chain;
            });
  }

  /**
   * The leaves of token range {@code (from, to]} whose hash differs between this node and {@code
   * peer}, as {@code {fromExclusive, toInclusive}} slices; empty when the roots match.
   */
  CompletableFuture<List<long[]>> differingLeaves(
      String peer, String keyspace, long incarnation, long from, long to) {
    int leaves = settings.repairLeaves();
    CompletableFuture<long[]> local =
        CompletableFuture.supplyAsync(
            () -> ApMerkle.leaves(store, keyspace, incarnation, from, to, leaves), io);
    CompletableFuture<ApReplica.TreeReply> remote =
        coordinator
            .<ApReplica.TreeReply>ask(
                peer, r -> new ApReplica.Tree(keyspace, incarnation, from, to, leaves, r))
            .toCompletableFuture();
    return local.thenCombine(
        remote,
        (mineLeaves, theirs) -> {
          List<long[]> differing = new ArrayList<>();
          if (ApMerkle.root(mineLeaves) != ApMerkle.root(theirs.leaves())) {
            for (int i = 0; i < leaves; i++) {
              if (mineLeaves[i] != theirs.leaves()[i]) {
                differing.add(ApMerkle.leafRange(from, to, leaves, i));
              }
            }
          }
          return differing;
        });
  }

  /**
   * Fetches {@code peer}'s entries of one leaf into this node's store (LWW); completes with how
   * many changed this store. {@code stream} labels the bytes in the metrics (repair, join, leave).
   */
  CompletableFuture<Long> pull(
      String peer, String keyspace, long incarnation, long[] leaf, String stream) {
    return coordinator
        .<ApReplica.ScanReply>ask(
            peer, r -> new ApReplica.Fetch(keyspace, incarnation, leaf[0], leaf[1], r))
        .toCompletableFuture()
        .thenCompose(
            reply -> {
              List<CompletableFuture<ApStore.Applied>> applied = new ArrayList<>();
              for (ApReplica.KeyEntry e : reply.entries()) {
                metrics.streamed(stream, "in", ApCodec.entry(e.entry()).length + e.key().length());
                applied.add(store.apply(keyspace, incarnation, e.key(), e.entry()));
              }
              return CompletableFuture.allOf(applied.toArray(CompletableFuture[]::new))
                  .thenApply(v -> applied.stream().filter(f -> f.join().changed()).count());
            });
  }

  /** Sends this node's entries of one leaf to {@code peer}; completes with how many were sent. */
  CompletableFuture<Long> push(
      String peer, String keyspace, long incarnation, long[] leaf, String stream) {
    return CompletableFuture.supplyAsync(
            () -> {
              List<ApReplica.KeyEntry> mine = new ArrayList<>();
              store.scan(
                  keyspace,
                  incarnation,
                  leaf[0],
                  leaf[1],
                  row -> mine.add(new ApReplica.KeyEntry(row.key(), row.entry())));
              return mine;
            },
            io)
        .thenCompose(
            mine -> {
              for (ApReplica.KeyEntry e : mine) {
                metrics.streamed(stream, "out", ApCodec.entry(e.entry()).length + e.key().length());
              }
              return coordinator
                  .<ApReplica.WriteManyAck>ask(
                      peer,
                      r -> new ApReplica.WriteMany(keyspace, incarnation, List.copyOf(mine), r))
                  .toCompletableFuture()
                  .thenApply(ack -> (long) mine.size());
            });
  }
}
