package dev.cohort.kv.ap.internal;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A hybrid logical clock (Kulkarni et al., 2014): timestamps that follow the wall clock when it
 * moves forward, never go backwards when it does not, and are always greater than every timestamp
 * this node has written or seen. They order the last-writer-wins registers of AP keyspaces.
 *
 * <p>A timestamp is one {@code long}: the physical part (milliseconds since the epoch) in the high
 * 48 bits and a logical counter in the low 16 bits, so that timestamps compare as plain longs. When
 * the counter would overflow (65,536 events within one millisecond) the physical part is advanced
 * by one millisecond instead; the clock then runs slightly ahead of the wall clock until it catches
 * up. 48 bits of milliseconds last until the year 10889.
 *
 * <p>{@link #now()} is called for every local write, {@link #observe(long)} for every timestamp
 * read from a replica (reads, the entry a write replaces, replicated changes). Thread-safe and
 * lock-free.
 *
 * <p><b>Maximum offset.</b> A node whose wall clock runs far ahead stamps its writes far ahead, and
 * every clock that observes them would jump forward with it and stay there until the wall clocks
 * catch up. As in CockroachDB, a timestamp more than {@code maxOffsetMillis} ahead of this node's
 * wall clock is refused ({@link OffsetExceeded}) and the clock does not move; the caller decides
 * whether that fails the request.
 */
public final class HybridLogicalClock {
  static final int LOGICAL_BITS = 16;
  static final long LOGICAL_MASK = (1L << LOGICAL_BITS) - 1;

  private final LongSupplier wallMillis;
  private final long maxOffsetMillis;
  private final AtomicLong last = new AtomicLong();

  /** A clock without an offset limit. */
  public HybridLogicalClock(LongSupplier wallMillis) {
    this(wallMillis, 0);
  }

  /**
   * @param maxOffsetMillis how far ahead of the wall clock an observed timestamp may be; 0 for no
   *     limit
   */
  public HybridLogicalClock(LongSupplier wallMillis, long maxOffsetMillis) {
    if (maxOffsetMillis < 0) {
      throw new IllegalArgumentException("maxOffsetMillis must not be negative");
    }
    this.wallMillis = wallMillis;
    this.maxOffsetMillis = maxOffsetMillis;
  }

  public static HybridLogicalClock system(long maxOffsetMillis) {
    return new HybridLogicalClock(System::currentTimeMillis, maxOffsetMillis);
  }

  /** A timestamp for a local event: greater than every timestamp issued or observed before. */
  public long now() {
    long wall = pack(wallMillis.getAsLong(), 0);
    return last.updateAndGet(prev -> Math.max(prev + 1, wall));
  }

  /**
   * Takes a timestamp seen from another replica into account and returns the clock's new value,
   * which is greater than both {@code remote} and everything before.
   *
   * @throws OffsetExceeded when {@code remote} is more than the maximum offset ahead of the wall
   *     clock; the clock is then unchanged
   */
  public long observe(long remote) {
    long wallNow = wallMillis.getAsLong();
    long ahead = physicalMillis(remote) - wallNow;
    if (maxOffsetMillis > 0 && ahead > maxOffsetMillis) {
      throw new OffsetExceeded(remote, ahead, maxOffsetMillis);
    }
    long wall = pack(wallNow, 0);
    return last.updateAndGet(prev -> Math.max(Math.max(prev, remote) + 1, wall));
  }

  /** The latest timestamp issued or observed, without advancing the clock. */
  public long current() {
    return last.get();
  }

  public static long pack(long physicalMillis, int logical) {
    return (physicalMillis << LOGICAL_BITS) | (logical & LOGICAL_MASK);
  }

  public static long physicalMillis(long timestamp) {
    return timestamp >>> LOGICAL_BITS;
  }

  public static int logical(long timestamp) {
    return (int) (timestamp & LOGICAL_MASK);
  }

  /** {@code physical.logical}, for logs and error messages. */
  public static String format(long timestamp) {
    return physicalMillis(timestamp) + "." + logical(timestamp);
  }

  /** An observed timestamp further ahead of the wall clock than the maximum offset allows. */
  public static final class OffsetExceeded extends RuntimeException {
    private final long timestamp;
    private final long aheadMillis;

    OffsetExceeded(long timestamp, long aheadMillis, long maxOffsetMillis) {
      super(
          "timestamp "
              + format(timestamp)
              + " is "
              + aheadMillis
              + " ms ahead of this node's wall clock, more than the maximum clock offset of "
              + maxOffsetMillis
              + " ms",
          null,
          false,
          false);
      this.timestamp = timestamp;
      this.aheadMillis = aheadMillis;
    }

    public long timestamp() {
      return timestamp;
    }

    public long aheadMillis() {
      return aheadMillis;
    }
  }
}
