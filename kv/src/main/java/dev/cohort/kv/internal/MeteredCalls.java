package dev.cohort.kv.internal;

import dev.cohort.kv.KvError;
import dev.cohort.kv.KvException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs one {@code Kv} operation as a request: owns the {@code cohort_kv_requests_total} and {@code
 * cohort_kv_request_seconds} records of the CP service.
 *
 * <p>Invariants: every operation it runs completes its stage — an exception thrown while validating
 * at the edge becomes a failed stage, never a throw to the caller; every failure leaves as a {@link
 * KvException} (through {@link KvFailures}); every outcome is counted once, as {@code ok} or its
 * error code; the keyspace label stays bounded, since a name that is not a keyspace is counted as
 * {@code _unknown}. Thread-safe.
 */
final class MeteredCalls {
  private final KvMetrics metrics;

  MeteredCalls(KvMetrics metrics) {
    this.metrics = metrics;
  }

  /** Runs {@code body}, turning an edge-validation exception into a failed stage, and meters it. */
  <T> CompletionStage<T> call(String keyspace, String op, Supplier<CompletionStage<T>> body) {
    long start = System.nanoTime();
    CompletionStage<T> stage;
    try {
      stage = body.get();
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedFuture(e);
    }
    return stage
        .handle(
            (value, failure) -> {
              if (failure == null) {
                metrics.request(keyspace, op, "ok", start);
                return CompletableFuture.completedFuture(value);
              }
              KvException error = KvFailures.toKvException(failure);
              // A name that is not a keyspace must not become a label value: labels stay bounded.
              boolean noSuchKeyspace =
                  error.is(KvError.KEYSPACE_NOT_FOUND) || error.is(KvError.INVALID_KEYSPACE_NAME);
              metrics.request(noSuchKeyspace ? "_unknown" : keyspace, op, error.code(), start);
              return CompletableFuture.<T>failedFuture(error);
            })
        .thenCompose(Function.identity());
  }
}
