package dev.cohort.kv.ap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The RocksDB store of one node: LWW merges, reopening, token scans, hints, catalog, drop. */
class ApStoreTest {
  @TempDir Path dir;

  private static ApEntry value(String v, long ts, String writer) {
    return new ApEntry(v.getBytes(StandardCharsets.UTF_8), ts, writer, 0, 0);
  }

  private ApStore open() {
    return ApStore.open(dir, true, ForkJoinPool.commonPool());
  }

  @Test
  void newerEntriesWinWhateverOrderTheyArriveIn() {
    try (ApStore store = open()) {
      ApEntry older = value("old", 10, "a");
      ApEntry newer = value("new", 11, "a");
      ApEntry tombstone = new ApEntry(null, 12, "b", 0, 99);
      assertTrue(store.apply("ks", 0, "k", newer).join().changed());
      ApStore.Applied stale = store.apply("ks", 0, "k", older).join();
      assertFalse(stale.changed());
      assertEquals(newer, stale.current());
      assertEquals(newer, store.apply("ks", 0, "k", tombstone).join().previous());
      assertEquals(tombstone, store.get("ks", 0, "k"));
      assertNull(store.get("ks", 1, "k"), "incarnations are separate");
      assertNull(store.get("other", 0, "k"));
    }
  }

  /** Writes queued together are merged in order within one batch; all are on disk after reopen. */
  @Test
  void concurrentWritesAreAllAppliedAndSurviveReopening() {
    List<CompletableFuture<ApStore.Applied>> writes = new ArrayList<>();
    try (ApStore store = open()) {
      for (int i = 0; i < 2_000; i++) {
        writes.add(store.apply("ks", 0, "k" + (i % 100), value("v" + i, i, "w")));
      }
      CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).join();
    }
    try (ApStore store = open()) {
      for (int k = 0; k < 100; k++) {
        int last = 1_900 + k;
        assertEquals(
            "v" + last, new String(store.get("ks", 0, "k" + k).value(), StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void tokenRangeScansCoverTheRingExactlyOnce() {
    try (ApStore store = open()) {
      for (int i = 0; i < 500; i++) {
        store.apply("ks", 0, "key-" + i, value("v", 1, "w")).join();
      }
      store.apply("ks2", 0, "elsewhere", value("v", 1, "w")).join();
      long[] cuts = {-5_000_000_000_000_000_000L, 17L, 3_000_000_000_000_000_000L};
      List<String> seen = new ArrayList<>();
      for (int i = 0; i < cuts.length; i++) {
        store.scan("ks", 0, cuts[i], cuts[(i + 1) % cuts.length], r -> seen.add(r.key()));
      }
      assertEquals(500, seen.size());
      assertEquals(500, seen.stream().distinct().count());
      List<String> all = new ArrayList<>();
      store.scanAll("ks", 0, r -> all.add(r.key()));
      assertEquals(500, all.size());
      assertEquals(2, store.keyspaces().size());
    }
  }

  @Test
  void hintsAreKeptUntilRemovedAndCounted() {
    try (ApStore store = open()) {
      store.addHint(new ApHint("node-b", "ks", 3, "k1", value("x", 5, "a"))).join();
      store.addHint(new ApHint("node-b", "ks", 3, "k2", value("y", 6, "a"))).join();
      store.addHint(new ApHint("node-c", "ks", 3, "k1", value("x", 5, "a"))).join();
      assertEquals(3, store.hintsPending());
      assertEquals(List.of("node-b", "node-c"), store.hintTargets());
      Map<byte[], ApHint> forB = store.hints("node-b", 10);
      assertEquals(List.of("k1", "k2"), forB.values().stream().map(ApHint::key).toList());
      forB.keySet().forEach(k -> store.removeHint(k).join());
      assertEquals(List.of("node-c"), store.hintTargets());
    }
    try (ApStore store = open()) {
      assertEquals(1, store.hintsPending(), "hints survive a restart");
    }
  }

  @Test
  void catalogAndDropAndPurge() {
    try (ApStore store = open()) {
      store.putCatalog("ks", 4, 2).join();
      assertEquals(Map.of("ks:4", 2), store.catalog());
      ApEntry e = value("v", 1, "w");
      store.apply("ks", 4, "a", e).join();
      store.apply("ks", 5, "a", e).join();
      assertFalse(store.purge("ks", 4, "a", value("other", 1, "w")).join(), "not the same entry");
      store.drop("ks", 4).join();
      assertNull(store.get("ks", 4, "a"));
      assertEquals(e, store.get("ks", 5, "a"));
      assertTrue(store.purge("ks", 5, "a", e).join());
      assertNull(store.get("ks", 5, "a"));
    }
  }

  @Test
  void entriesRoundTripThroughTheCodec() {
    for (ApEntry e :
        List.of(
            value("v", 1, "pekko://x@h:1"),
            new ApEntry(null, 2, "w", 0, 9),
            new ApEntry(new byte[0], 3, "w", 7, 8))) {
      ApEntry back = ApCodec.entry(ApCodec.entry(e));
      assertEquals(e, back);
      assertEquals(e.isTombstone(), back.isTombstone());
    }
    assertNotEquals(ApCodec.dataKey("a", 0, 1, "k").length, 0);
  }
}
