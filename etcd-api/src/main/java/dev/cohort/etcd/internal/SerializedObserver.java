package dev.cohort.etcd.internal;

import io.grpc.stub.StreamObserver;

/**
 * A response stream that callbacks of several threads may write to: gRPC's observers are not
 * thread-safe. Calls are serialized, and everything after the stream ended (completed, failed, or
 * cancelled by the client) is dropped instead of throwing.
 */
final class SerializedObserver<T> {
  private final StreamObserver<T> delegate;
  private final java.util.function.Consumer<SerializedObserver<T>> onClose;
  private boolean closed;

  SerializedObserver(StreamObserver<T> delegate) {
    this(delegate, s -> {});
  }

  SerializedObserver(
      StreamObserver<T> delegate, java.util.function.Consumer<SerializedObserver<T>> onClose) {
    this.delegate = delegate;
    this.onClose = onClose;
  }

  synchronized boolean send(T value) {
    if (closed) {
      return false;
    }
    try {
      delegate.onNext(value);
      return true;
    } catch (RuntimeException cancelled) {
      // the call was cancelled by the client meanwhile
      close();
      return false;
    }
  }

  synchronized void fail(Throwable failure) {
    if (!closed) {
      close();
      delegate.onError(EtcdErrors.of(failure));
    }
  }

  synchronized void complete() {
    if (!closed) {
      close();
      delegate.onCompleted();
    }
  }

  /** Marks the stream ended without writing (the client cancelled it). */
  synchronized void close() {
    closed = true;
    onClose.accept(this);
  }
}
