package dev.cohort.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * Closed-loop load, as etcd's and Kafka's load generators make it: each client is one platform
 * thread sending one request and waiting for its answer, again and again until {@code end} (a
 * {@link System#nanoTime()}). Requests that start at or after {@code recordFrom} are timed; failed
 * requests are counted, not timed.
 */
final class ClosedLoop {
  private ClosedLoop() {}

  /** One client's next request; a client keeps its own state between calls (one thread each). */
  interface Client {
    void request() throws Exception;
  }

  /** Runs {@code clients} clients ({@code client} makes client number c) until {@code end}. */
  static void run(
      int clients,
      IntFunction<Client> client,
      long recordFrom,
      long end,
      Latencies latencies,
      AtomicLong errors)
      throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      Client each = client.apply(c);
      threads.add(Thread.ofPlatform().start(() -> loop(each, recordFrom, end, latencies, errors)));
    }
    for (Thread t : threads) {
      t.join();
    }
  }

  private static void loop(
      Client client, long recordFrom, long end, Latencies latencies, AtomicLong errors) {
    while (System.nanoTime() < end) {
      long start = System.nanoTime();
      try {
        client.request();
        if (start >= recordFrom) {
          latencies.record(System.nanoTime() - start);
        }
      } catch (Exception e) {
        errors.incrementAndGet();
      }
    }
  }
}
