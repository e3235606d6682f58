package dev.cohort.kv.ap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ApBucketTest {
  private static final long FAR = System.currentTimeMillis() + 3_600_000;

  private static ApEntry value(int v, long ts, String writer) {
    return new ApEntry(new byte[] {(byte) v}, ts, writer, 0, 0);
  }

  /**
   * MergeConverges (seeded): replicas that receive the same writes in different orders and merge
   * in different orders end equal, and equal to the per-key winners.
   */
  @Test
  void mergeIsOrderFreeAndIdempotent() {
    Random random = new Random(42);
    List<String[]> writes = new ArrayList<>();
    List<ApBucket> singles = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      String key = "k" + random.nextInt(20);
      long ts = HybridLogicalClock.pack(1000 + random.nextInt(50), random.nextInt(3));
      String writer = "node-" + random.nextInt(3);
      ApEntry e = random.nextInt(5) == 0
          ? new ApEntry(null, ts, writer, 0, FAR)
          : value(random.nextInt(100), ts, writer);
      singles.add(ApBucket.EMPTY.put(key, e));
      writes.add(new String[] {key});
    }
    ApBucket reference = fold(singles);
    for (int round = 0; round < 5; round++) {
      List<ApBucket> shuffled = new ArrayList<>(singles);
      Collections.shuffle(shuffled, new Random(round));
      ApBucket replica = fold(shuffled);
      assertEquals(reference, replica);
      assertEquals(replica, replica.merge(replica));
      assertEquals(replica, replica.merge(reference));
    }
    // every key holds the entry that beats all others written for it
    for (ApBucket single : singles) {
      String key = single.entries().firstKey();
      ApEntry winner = reference.entry(key);
      ApEntry candidate = single.entry(key);
      assertTrue(winner.equals(candidate) || winner.beats(candidate));
    }
  }

  private static ApBucket fold(List<ApBucket> buckets) {
    ApBucket acc = ApBucket.EMPTY;
    for (ApBucket b : buckets) {
      acc = (ApBucket) acc.merge(b);
    }
    return acc;
  }

  @Test
  void anOlderWriteDoesNotReplaceANewerOne() {
    ApBucket b = ApBucket.EMPTY.put("k", value(2, 20, "a"));
    assertSame(b, b.put("k", value(1, 10, "b")));
    assertEquals(2, b.entry("k").value()[0]);
  }

  @Test
  void deltaHoldsOnlyLocalChangesUntilReset() {
    ApBucket b = ((ApBucket) ApBucket.EMPTY.put("a", value(1, 1, "n")).resetDelta())
        .put("b", value(2, 2, "n"));
    ApBucket delta = (ApBucket) b.delta().get();
    assertEquals(List.of("b"), List.copyOf(delta.entries().keySet()));
    assertTrue(((ApBucket) b.resetDelta()).delta().isEmpty());
    assertEquals(b, b.mergeDelta(delta));
  }

  @Test
  void purgeableEntriesAreDroppedByMergeAndNotTakenBack() {
    long now = System.currentTimeMillis();
    ApEntry oldTombstone = new ApEntry(null, 5, "n", 0, now - 1);
    ApEntry freshTombstone = new ApEntry(null, 6, "n", 0, now + 60_000);
    ApEntry expiredLongAgo = new ApEntry(new byte[] {1}, 7, "n", now - 10_000, now - 5_000);
    ApBucket stale = new ApBucket(new java.util.TreeMap<>(java.util.Map.of(
        "old", oldTombstone, "fresh", freshTombstone, "ttl", expiredLongAgo)), null);
    ApBucket merged = (ApBucket) ApBucket.EMPTY.merge(stale);
    assertNull(merged.entry("old"));
    assertNull(merged.entry("ttl"));
    assertEquals(freshTombstone, merged.entry("fresh"));
    ApBucket self = (ApBucket) stale.merge(ApBucket.EMPTY);
    assertNull(self.entry("old"));
    assertEquals(1, self.entries().size());
  }

  @Test
  void expiredValuesAreAbsentButStillBlockOlderWrites() {
    long now = System.currentTimeMillis();
    ApEntry expired = new ApEntry(new byte[] {1}, 20, "n", now - 1, now + 60_000);
    assertTrue(!expired.liveAt(now));
    ApBucket b = ApBucket.EMPTY.put("k", expired);
    assertSame(b, b.put("k", value(9, 10, "n")));
    assertEquals(0, b.liveKeys(now));
  }

  @Test
  void bucketsAreStableAndSpread() {
    assertEquals(ApBucketKey.bucketOf("some/key", 4096), ApBucketKey.bucketOf("some/key", 4096));
    int[] counts = new int[16];
    for (int i = 0; i < 16_000; i++) {
      counts[ApBucketKey.bucketOf("key-" + i, 16)]++;
    }
    for (int c : counts) {
      assertTrue(c > 800 && c < 1200, "uneven spread " + java.util.Arrays.toString(counts));
    }
    assertEquals("ks", ApBucketKey.keyspaceOf(ApBucketKey.of("ks", 3, 7).id()));
  }
}
