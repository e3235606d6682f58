package dev.cohort.bench.chaos;

import java.util.ArrayList;
import java.util.List;

/**
 * A history being recorded by many client threads. Each client records an operation once it ended
 * (answered, failed or timed out), so the list is in completion order per client; checkers order by
 * the recorded nanos, never by list position. Thread-safe.
 */
final class History {
  private final List<Op> ops = new ArrayList<>();

  synchronized void add(Op op) {
    ops.add(op);
  }

  /** Records an operation invoked at {@code invoke} that ended now with {@code outcome}. */
  Op record(
      int client,
      String key,
      String f,
      String value,
      String expected,
      String observed,
      long invoke,
      Outcome outcome) {
    long complete = outcome == Outcome.INDETERMINATE ? Long.MAX_VALUE : System.nanoTime();
    Op op = new Op(client, key, f, value, expected, observed, invoke, complete, outcome);
    add(op);
    return op;
  }

  synchronized List<Op> snapshot() {
    return List.copyOf(ops);
  }
}
