package dev.cohort.bench.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a workload's client threads: each repeats one bounded step (every request in it carries a
 * timeout) until {@code stop} says so. Threads are daemons and are joined before {@link #run}
 * returns, with a deadline so that a wedged client cannot hang the harness.
 */
final class Clients {
  private static final Logger log = LoggerFactory.getLogger(Clients.class);

  /** One iteration of client {@code client}; it must return within a few request timeouts. */
  @FunctionalInterface
  interface Step {
    void run(int client) throws Exception;
  }

  private Clients() {}

  static void run(String name, int clients, BooleanSupplier stop, Duration joinGrace, Step step)
      throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    for (int c = 0; c < clients; c++) {
      int client = c;
      Thread t = new Thread(() -> loop(client, stop, step, firstFailure), name + "-client-" + c);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    awaitStop(stop);
    long deadline = System.nanoTime() + joinGrace.toNanos();
    for (Thread t : threads) {
      long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
      t.join(left);
      if (t.isAlive()) {
        log.warn("{} did not end within {} after stop; interrupting it", t.getName(), joinGrace);
        t.interrupt();
      }
    }
    if (firstFailure.get() != null) {
      log.warn("{}: a client step threw (clients kept going)", name, firstFailure.get());
    }
  }

  private static void loop(
      int client, BooleanSupplier stop, Step step, AtomicReference<Throwable> failure) {
    while (!stop.getAsBoolean() && !Thread.currentThread().isInterrupted()) {
      try {
        step.run(client);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception | AssertionError e) {
        // A bug in a client step must not silently end that client's load; note it and go on.
        failure.compareAndSet(null, e);
      }
    }
  }

  static void awaitStop(BooleanSupplier stop) throws InterruptedException {
    while (!stop.getAsBoolean()) {
      Thread.sleep(20); // polling the runner's stop flag, not waiting for a cluster condition
    }
  }

  /** Client thread pause between attempts (backoff), interruptible. */
  static void pause(long millis) throws InterruptedException {
    Thread.sleep(millis);
  }
}
