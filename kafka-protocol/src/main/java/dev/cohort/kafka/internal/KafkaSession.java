package dev.cohort.kafka.internal;

import dev.cohort.security.CheckedPassword;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * One connection's authentication state and the order its requests start in. The user is set by a
 * successful SASL/PLAIN exchange ({@link SaslApi}), with the session's lifetime (KIP-368): the
 * client authenticates again on the same connection before it ends (a new SaslHandshake, then
 * SaslAuthenticate as the same user), which starts a new lifetime; a request after it ended closes
 * the connection. Each exchange needs its own handshake. {@link #inOrder} runs each request's
 * permission check and then starts it strictly after the previous request started, also when a
 * check has to wait for the node's security state: an idempotent producer's batches must reach
 * their partition in the order sent. When every check answers at once (the usual case), the request
 * starts on the reader's thread, as without auth.
 */
final class KafkaSession {
  private final String source;
  private volatile CheckedPassword credentials;
  private volatile long expiresAtNanos;
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
    CheckedPassword c = credentials;
    return c == null ? null : c.user();
  }

  /** What the last SASL exchange checked; null before SASL succeeded. */
  CheckedPassword credentials() {
    return credentials;
  }

  /** A SASL exchange succeeded: the session lasts {@code lifetime} from now. */
  void authenticated(CheckedPassword checked, Duration lifetime) {
    this.expiresAtNanos = System.nanoTime() + lifetime.toNanos();
    this.credentials = checked;
    this.handshaken = false;
  }

  /** Whether the connection authenticated and its session has passed its lifetime. */
  boolean expired() {
    return credentials != null && System.nanoTime() - expiresAtNanos >= 0;
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
