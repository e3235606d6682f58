package dev.cohort.kv.ap.internal;

import dev.cohort.kv.ap.ApSettings;
import dev.cohort.kv.ap.Consistency;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Range reads of AP keyspaces: keys are spread over the ring by their hash, so a prefix is not a
 * contiguous range anywhere; the coordinator scans every live node's store, page by page in token
 * order, and keeps the newest entry of each key. Before it starts it checks that every token range
 * has as many live replicas as the level needs, so a {@code quorum} range fails with {@code
 * consistency_unavailable} rather than silently missing ranges. Best effort, as before: not a
 * snapshot, and at {@code quorum}/{@code all} it reads from every live node, not from exactly
 * {@code required} replicas of each range. Stateless; thread-safe.
 */
final class ApRangeReader {
  private final ApCoordinator coordinator;
  private final ApRing ring;
  private final ApStore store;
  private final ApSettings settings;

  ApRangeReader(ApCoordinator coordinator, ApRing ring, ApStore store, ApSettings settings) {
    this.coordinator = coordinator;
    this.ring = ring;
    this.store = store;
    this.settings = settings;
  }

  /** Every entry (tombstones included) whose key starts with {@code prefix}, newest per key. */
  CompletionStage<TreeMap<String, ApEntry>> read(
      String keyspace, long incarnation, int rf, String prefix, Consistency c) {
    ApPlacement placement = ring.placement();
    for (ApPlacement.Range range : placement.ranges(rf)) {
      long alive =
          range.replicas().stream()
              .filter(n -> n.equals(coordinator.self()) || ring.alive(n))
              .count();
      int required = c.required(range.replicas().size());
      if (alive < required) {
        return CompletableFuture.failedFuture(
            ApCoordinator.unavailable(
                "range read of prefix '" + prefix + "' in AP keyspace '" + keyspace + "'",
                c,
                required,
                range.replicas(),
                (int) alive,
                0,
                "a token range has too few live replicas"));
      }
    }
    TreeMap<String, ApEntry> merged = new TreeMap<>();
    List<CompletableFuture<Void>> scans = new ArrayList<>();
    for (String node : placement.nodes()) {
      if (node.equals(coordinator.self())) {
        store.scanAll(
            keyspace,
            incarnation,
            row -> {
              if (row.key().startsWith(prefix)) {
                merge(merged, row.key(), row.entry());
              }
            });
      } else if (ring.alive(node)) {
        scans.add(
            scan(node, keyspace, incarnation, prefix, true, 0L, merged).toCompletableFuture());
      }
    }
    return CompletableFuture.allOf(scans.toArray(CompletableFuture[]::new)).thenApply(v -> merged);
  }

  private CompletionStage<Void> scan(
      String node,
      String keyspace,
      long incarnation,
      String prefix,
      boolean first,
      long after,
      TreeMap<String, ApEntry> merged) {
    return coordinator
        .<ApReplica.ScanReply>ask(
            node,
            r ->
                new ApReplica.Scan(
                    keyspace, incarnation, prefix, first, after, settings.scanPageKeys(), r))
        .thenCompose(
            page -> {
              for (ApReplica.KeyEntry e : page.entries()) {
                merge(merged, e.key(), e.entry());
              }
              return page.more()
                  ? scan(node, keyspace, incarnation, prefix, false, page.lastToken(), merged)
                  : CompletableFuture.completedFuture(null);
            });
  }

  private static void merge(TreeMap<String, ApEntry> merged, String key, ApEntry entry) {
    synchronized (merged) {
      merged.merge(key, entry, (a, b) -> b.beats(a) ? b : a);
    }
  }
}
