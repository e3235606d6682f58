package dev.cohort.security.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A node's recent copy of the security registry's state. A caller gets the copy when it is younger
 * than {@code maxAge}; otherwise it waits for one fetch that all callers of that moment share. So a
 * revocation made on another node takes effect here within about {@code maxAge}, and a burst of
 * requests costs the registry one ask. A failed fetch fails its callers (no stale answer is served
 * past {@code maxAge}: a check fails closed). Thread-safe.
 */
final class StateCache {
  private final long maxAgeNanos;
  private final Supplier<CompletableFuture<SecurityState>> fetch;
  private SecurityState state;
  private long fetchedAtNanos;
  private CompletableFuture<SecurityState> inFlight;

  StateCache(Duration maxAge, Supplier<CompletableFuture<SecurityState>> fetch) {
    this.maxAgeNanos = maxAge.toNanos();
    this.fetch = fetch;
  }

  /** The copy, fetched anew when it is older than the maximum age. */
  CompletableFuture<SecurityState> fresh() {
    CompletableFuture<SecurityState> started;
    synchronized (this) {
      if (state != null && System.nanoTime() - fetchedAtNanos < maxAgeNanos) {
        return CompletableFuture.completedFuture(state);
      }
      if (inFlight != null) {
        return inFlight;
      }
      long askedAt = System.nanoTime();
      started = new CompletableFuture<>();
      inFlight = started;
      fetch
          .get()
          .whenComplete(
              (fetched, failure) -> {
                synchronized (this) {
                  inFlight = null;
                  if (fetched != null && (state == null || askedAt - fetchedAtNanos >= 0)) {
                    state = fetched;
                    fetchedAtNanos = askedAt;
                  }
                }
                SecurityState stale = staleDisabled();
                if (failure != null && stale != null) {
                  started.complete(stale);
                } else if (failure != null) {
                  started.completeExceptionally(failure);
                } else {
                  started.complete(fetched);
                }
              });
    }
    return started;
  }

  /**
   * The last copy when it says auth is disabled: a node with auth off keeps serving while the
   * registry moves to another node, rather than failing every request. A copy that says auth is
   * enabled is never served stale.
   */
  private synchronized SecurityState staleDisabled() {
    return state != null && !state.enabled() ? state : null;
  }

  /** Makes {@code answered} (the registry's state after a change) the copy; returns it. */
  synchronized SecurityState update(SecurityState answered) {
    state = answered;
    fetchedAtNanos = System.nanoTime();
    return answered;
  }
}
