package dev.cohort.bench.chaos;

import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Set-up and final reads: retry a request on any gateway until it answers in a way the caller
 * accepts, or a deadline passes.
 */
final class SetUp {
  static final Duration DEADLINE = Duration.ofSeconds(120);

  private SetUp() {}

  /**
   * Calls {@code call} (which should pick a gateway itself) until {@code accept} holds for its
   * reply; throws {@link IllegalStateException} naming {@code what} and the last answer once {@code
   * deadline} passed.
   */
  static Reply until(String what, Duration deadline, Supplier<Reply> call, Predicate<Reply> accept)
      throws InterruptedException {
    long end = System.nanoTime() + deadline.toNanos();
    Reply last = null;
    long backoff = 100;
    while (true) {
      last = call.get();
      if (accept.test(last)) {
        return last;
      }
      if (System.nanoTime() > end) {
        throw new IllegalStateException(
            what
                + ": no acceptable answer within "
                + deadline
                + "; last: "
                + last.describe()
                + " "
                + last.body());
      }
      Thread.sleep(backoff);
      backoff = Math.min(2_000, backoff * 2);
    }
  }

  /** Accepts 2xx and, for creations, 409 "exists" codes. */
  static Predicate<Reply> okOr(String... codes) {
    java.util.Set<String> accepted = java.util.Set.of(codes);
    return r -> r.ok() || r.code() != null && accepted.contains(r.code());
  }
}
