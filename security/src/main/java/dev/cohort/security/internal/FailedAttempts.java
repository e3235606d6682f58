package dev.cohort.security.internal;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Counts failed password attempts per key (a user name or a source address) within a sliding
 * window, and says when a key has used up its allowance. Per node: an attacker spreading attempts
 * over several nodes gets the allowance once per node. Keys without recent failures are dropped
 * when they are next looked at or cleared, so the map holds only keys that failed within the
 * window. Thread-safe.
 */
final class FailedAttempts {
  private final int max;
  private final long windowNanos;
  private final LongSupplier clock;
  private final ConcurrentHashMap<String, Deque<Long>> failures = new ConcurrentHashMap<>();

  FailedAttempts(int max, Duration window, LongSupplier nanoClock) {
    this.max = max;
    this.windowNanos = window.toNanos();
    this.clock = nanoClock;
  }

  /** Whether {@code key} has failed {@code max} times within the window. */
  boolean blocked(String key) {
    Deque<Long> times = failures.get(key);
    if (times == null) {
      return false;
    }
    synchronized (times) {
      expire(times);
      if (times.isEmpty()) {
        failures.remove(key, times);
        return false;
      }
      return times.size() >= max;
    }
  }

  /** Records a failure of {@code key}. */
  void failed(String key) {
    Deque<Long> times = failures.computeIfAbsent(key, k -> new ArrayDeque<>());
    synchronized (times) {
      expire(times);
      times.addLast(clock.getAsLong());
    }
  }

  /** Forgets {@code key}'s failures after a success. */
  void succeeded(String key) {
    failures.remove(key);
  }

  private void expire(Deque<Long> times) {
    long now = clock.getAsLong();
    while (!times.isEmpty() && now - times.peekFirst() > windowNanos) {
      times.removeFirst();
    }
  }
}
