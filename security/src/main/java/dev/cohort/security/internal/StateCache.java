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

  /**
   * The copy, fetched anew when it is older than the maximum age. A copy that says auth is disabled
   * is answered at once even when old, while a fetch renews it in the background: with auth off
   * there is nothing to revoke, and no request on any node may wait for the registry's node (which
   * may be dead or cut off until it is downed). A copy that says enabled is never served old.
   */
  CompletableFuture<SecurityState> fresh() {
    synchronized (this) {
      boolean young = state != null && System.nanoTime() - fetchedAtNanos < maxAgeNanos;
      if (young) {
        return CompletableFuture.completedFuture(state);
      }
      if (state != null && !state.enabled()) {
        if (inFlight == null) {
          startFetch();
        }
        return CompletableFuture.completedFuture(state);
      }
      return inFlight != null ? inFlight : startFetch();
    }
  }

  /**
   * Starts one fetch, shared by its callers, as {@code inFlight}; called holding the lock. The
   * fetch may complete inline, so {@code inFlight} is set before it starts.
   */
  private CompletableFuture<SecurityState> startFetch() {
    long askedAt = System.nanoTime();
    CompletableFuture<SecurityState> started = new CompletableFuture<>();
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
