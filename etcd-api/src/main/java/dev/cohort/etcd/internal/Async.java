package dev.cohort.etcd.internal;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Bridges kv's {@link CompletionStage}s to gRPC's {@link StreamObserver}s: a unary call answers
 * once with the stage's value or with the status {@link EtcdErrors#of} gives its failure. Errors
 * thrown while building the stage (bad input) are answered the same way, before anything ran.
 */
final class Async {
  private Async() {}

  static CompletionStage<Void> done() {
    return CompletableFuture.completedFuture(null);
  }

  /** Runs {@code call} and answers {@code observer} with its outcome. */
  static <T> void answer(StreamObserver<T> observer, Supplier<CompletionStage<T>> call) {
    CompletionStage<T> stage;
    try {
      stage = call.get();
    } catch (RuntimeException e) {
      observer.onError(EtcdErrors.of(e));
      return;
    }
    stage.whenComplete(
        (value, failure) -> {
          if (failure != null) {
            observer.onError(EtcdErrors.of(failure));
          } else {
            observer.onNext(value);
            observer.onCompleted();
          }
        });
  }

  /** A stage that runs {@code call}, turning an exception it throws into a failed stage. */
  static <T> CompletionStage<T> guarded(Supplier<CompletionStage<T>> call) {
    try {
      return call.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
