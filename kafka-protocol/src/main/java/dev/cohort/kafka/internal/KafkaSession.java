package dev.cohort.kafka.internal;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * One connection's authentication state and the order its requests start in. The user is set once
 * by a successful SASL/PLAIN exchange ({@link SaslApi}). {@link #inOrder} runs each request's
 * permission check and then starts it strictly after the previous request started, also when a
 * check has to wait for the node's security state: an idempotent producer's batches must reach
 * their partition in the order sent. When every check answers at once (the usual case), the request
 * starts on the reader's thread, as without auth.
 */
final class KafkaSession {
  private final String source;
  private volatile String user;
  private volatile boolean handshaken;
  private CompletableFuture<?> gate = CompletableFuture.completedFuture(null);

  KafkaSession(String source) {
    this.source = source;
  }

  /** The client's address, for rate limiting and audit lines. */
  String source() {
    return source;
  }

  /** The authenticated user; null before SASL succeeded. */
  String user() {
    return user;
  }

  void authenticated(String name) {
    this.user = name;
  }

  boolean handshaken() {
    return handshaken;
  }

  void handshake() {
    this.handshaken = true;
  }

  /**
   * Runs {@code step} after the previous step completed; a step completes once its request has
   * started, with the request's answer.
   */
  synchronized <T> CompletableFuture<T> inOrder(
      Supplier<CompletableFuture<CompletableFuture<T>>> step) {
    CompletableFuture<CompletableFuture<T>> started = gate.thenCompose(v -> step.get());
    gate = started.handle((answer, failure) -> null);
    return started.thenCompose(answer -> answer);
  }
}
