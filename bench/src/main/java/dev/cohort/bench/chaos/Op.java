package dev.cohort.bench.chaos;

/**
 * One entry of a recorded history, as a client saw it.
 *
 * @param client the client (thread) that ran it; consumers and helpers use their own ranges
 * @param key the key, stream ({@code partition-2}) or lock the operation touched
 * @param f what it did: {@code read}, {@code write}, {@code cas}, {@code put}, {@code send}, {@code
 *     poll}, {@code commit}, {@code fenced-write}, …
 * @param value the value written or sent (null for reads)
 * @param expected what a compare-and-swap compared with, or the workload's context for the op (a
 *     member id, a fencing token)
 * @param observed what came back: the value read (null: absent), {@code true}/{@code false} for a
 *     cas, the error code of a failure
 * @param invokeNanos {@link System#nanoTime()} when the request was sent
 * @param completeNanos when its answer arrived, {@link Long#MAX_VALUE} when indeterminate
 * @param outcome OK, a definite FAIL (not applied), or INDETERMINATE (may or may not have taken
 *     effect, at any time after {@code invokeNanos})
 */
public record Op(
    int client,
    String key,
    String f,
    String value,
    String expected,
    String observed,
    long invokeNanos,
    long completeNanos,
    Outcome outcome) {

  public boolean ok() {
    return outcome == Outcome.OK;
  }

  public boolean indeterminate() {
    return outcome == Outcome.INDETERMINATE;
  }
}
