package dev.cohort.kv.ap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HybridLogicalClockTest {
  private final AtomicLong wall = new AtomicLong(1_000_000);
  private final HybridLogicalClock clock = new HybridLogicalClock(wall::get);

  @Test
  void followsTheWallClockWhenItMovesForward() {
    long a = clock.now();
    assertEquals(1_000_000, HybridLogicalClock.physicalMillis(a));
    assertEquals(0, HybridLogicalClock.logical(a));
    wall.set(1_000_005);
    long b = clock.now();
    assertEquals(1_000_005, HybridLogicalClock.physicalMillis(b));
    assertEquals(0, HybridLogicalClock.logical(b));
  }

  /** Monotonic: never repeats or goes back, even when the wall clock stands still or goes back. */
  @Test
  void isStrictlyMonotonicWhenTheWallClockStallsOrGoesBack() {
    long previous = clock.now();
    for (int i = 0; i < 1000; i++) {
      if (i % 100 == 0) {
        wall.addAndGet(-50);
      }
      long next = clock.now();
      assertTrue(next > previous, "timestamp " + i + " went back");
      previous = next;
    }
    assertEquals(1_000_000, HybridLogicalClock.physicalMillis(previous));
    assertEquals(1000, HybridLogicalClock.logical(previous));
  }

  @Test
  void observingARemoteTimestampAheadMovesTheClockPastIt() {
    long remote = HybridLogicalClock.pack(1_000_500, 7);
    long merged = clock.observe(remote);
    assertTrue(merged > remote);
    assertEquals(1_000_500, HybridLogicalClock.physicalMillis(merged));
    assertEquals(8, HybridLogicalClock.logical(merged));
    long local = clock.now();
    assertTrue(local > remote, "a local write after seeing the remote one must order after it");
    wall.set(1_000_600);
    assertEquals(HybridLogicalClock.pack(1_000_600, 0), clock.now());
  }

  @Test
  void observingAnOlderTimestampStillAdvancesTheClock() {
    long before = clock.now();
    long merged = clock.observe(HybridLogicalClock.pack(10, 0));
    assertTrue(merged > before);
  }

  @Test
  void logicalCounterOverflowCarriesIntoThePhysicalPart() {
    long remote = HybridLogicalClock.pack(1_000_000, 0xffff);
    long next = clock.observe(remote);
    assertEquals(1_000_001, HybridLogicalClock.physicalMillis(next));
    assertEquals(0, HybridLogicalClock.logical(next));
  }

  /** TieBreakByWriter: equal timestamps are ordered by writer address, then tombstone first. */
  @Test
  void equalTimestampsAreOrderedByWriterThenTombstone() {
    long ts = HybridLogicalClock.pack(5, 1);
    ApEntry fromA = new ApEntry(new byte[] {9}, ts, "pekko://c@127.0.0.1:1", 0, 0);
    ApEntry fromB = new ApEntry(new byte[] {1}, ts, "pekko://c@127.0.0.1:2", 0, 0);
    assertTrue(fromB.beats(fromA));
    assertFalse(fromA.beats(fromB));
    ApEntry tombA = new ApEntry(null, ts, "pekko://c@127.0.0.1:1", 0, 99);
    assertTrue(tombA.beats(fromA));
    assertFalse(fromA.beats(tombA));
    ApEntry later = new ApEntry(new byte[] {0}, ts + 1, "pekko://c@127.0.0.1:0", 0, 0);
    assertTrue(later.beats(fromB));
  }

  @Test
  void refusesToFollowATimestampBeyondTheMaximumOffset() {
    HybridLogicalClock bounded = new HybridLogicalClock(wall::get, 500);
    long before = bounded.now();
    long withinBound = bounded.observe(HybridLogicalClock.pack(1_000_500, 0));
    assertEquals(1_000_500, HybridLogicalClock.physicalMillis(withinBound));
    HybridLogicalClock.OffsetExceeded refused =
        org.junit.jupiter.api.Assertions.assertThrows(
            HybridLogicalClock.OffsetExceeded.class,
            () -> bounded.observe(HybridLogicalClock.pack(1_000_501, 0)));
    assertEquals(501, refused.aheadMillis());
    assertEquals(withinBound, bounded.current(), "a refused timestamp must leave the clock alone");
    assertTrue(bounded.now() > before);
  }
}
