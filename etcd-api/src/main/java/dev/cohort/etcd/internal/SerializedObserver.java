package dev.cohort.etcd.internal;

import io.grpc.stub.StreamObserver;

/**
 * A response stream that callbacks of several threads may write to: gRPC's observers are not
 * thread-safe. Calls are serialized, and everything after the stream ended (completed, failed,
 * or cancelled by the client) is dropped instead of throwing.
 */
final class SerializedObserver<T> {
  private final StreamObserver<T> delegate;
  private boolean closed;

  SerializedObserver(StreamObserver<T> delegate) {
    this.delegate = delegate;
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
      closed = true;
      return false;
    }
  }

  synchronized void fail(Throwable failure) {
    if (!closed) {
      closed = true;
      delegate.onError(EtcdErrors.of(failure));
    }
  }

  synchronized void complete() {
    if (!closed) {
      closed = true;
      delegate.onCompleted();
    }
  }

  /** Marks the stream ended without writing (the client cancelled it). */
  synchronized void close() {
    closed = true;
  }
}
