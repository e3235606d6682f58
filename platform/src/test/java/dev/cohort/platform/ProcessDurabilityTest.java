package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Acknowledged means durable: writers go through the gateway of a real node process, the process is
 * SIGKILLed mid-stream, restarted on the same data directory, and every acknowledged write must be
 * there.
 */
@Tag("fault")
class ProcessDurabilityTest {
  private static final ObjectMapper json = new ObjectMapper();
  private static final Duration READY = Duration.ofSeconds(60);

  @Test
  void everyAcknowledgedKvWriteSurvivesSigkill() throws Exception {
    Path data = Files.createTempDirectory("cohort-kill-kv");
    int http = NodeProcess.freePort();
    int remote = NodeProcess.freePort();
    Map<String, String> acknowledged = new ConcurrentHashMap<>();
    try (NodeProcess node = NodeProcess.start(data, http, remote)) {
      node.awaitReady(READY);
      CountDownLatch enough = new CountDownLatch(150);
      List<Thread> writers = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        int writer = w;
        writers.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      for (int i = 0; ; i++) {
                        String key = "w" + writer + "/k" + i;
                        String value = "v-" + writer + "-" + i;
                        try {
                          var response =
                              node.put(
                                  "/v1/kv/default/keys/" + key, "{\"value\":\"" + value + "\"}");
                          if (response.statusCode() != 200) {
                            return;
                          }
                        } catch (Exception killed) {
                          return;
                        }
                        acknowledged.put(key, value);
                        enough.countDown();
                      }
                    }));
      }
      assertTrue(
          enough.await(60, TimeUnit.SECONDS),
          "writers made too little progress:\n" + node.logText());
      node.kill();
      for (Thread writer : writers) {
        writer.join(30_000);
      }
    }
    assertTrue(acknowledged.size() >= 150);
    assertTrue(
        Files.size(data.resolve("journal/events/00000000000000000000.log")) > 0,
        "the node wrote its events to the default file journal");
    try (NodeProcess again = NodeProcess.start(data, http, remote)) {
      again.awaitReady(READY);
      List<String> lost = new ArrayList<>();
      for (Map.Entry<String, String> write : acknowledged.entrySet()) {
        var read = again.get("/v1/kv/default/keys/" + write.getKey());
        if (read.statusCode() != 200
            || !json.readTree(read.body())
                .path("kv")
                .path("value")
                .asText()
                .equals(write.getValue())) {
          lost.add(write.getKey() + " -> " + read.statusCode() + " " + read.body());
        }
      }
      assertEquals(List.of(), lost, acknowledged.size() + " acknowledged writes");
      assertEquals(0, again.terminate(Duration.ofSeconds(30)));
    }
  }

  /**
   * Idempotent HTTP producers write through a SIGKILL: each numbers its batches per partition and
   * resends a batch, unchanged, on a timeout, a 503/504 or a broken connection until it is
   * acknowledged, through the kill and against the restarted node. A batch written before the kill
   * whose answer was lost must then be recognised by the producer state the partition recovered
   * from its journal; without it the retry would be written twice (or refused). Each writer also
   * resends the batch acknowledged before its first failed attempt, which must be answered with its
   * original offsets. Invariants: every acknowledged record is stored exactly once at its
   * acknowledged offset, nothing else is stored, and each producer's records are in send order per
   * partition.
   */
  @Test
  void everyAcknowledgedRecordSurvivesSigkillExactlyOnce() throws Exception {
    Path data = Files.createTempDirectory("cohort-kill-log");
    int http = NodeProcess.freePort();
    int remote = NodeProcess.freePort();
    long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
    List<SequencedWriter> writers = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    NodeProcess node = NodeProcess.start(data, http, remote);
    try {
      try {
        node.awaitReady(READY);
        assertEquals(
            201, node.post("/v1/topics", "{\"name\":\"ledger\",\"partitions\":2}").statusCode());
        for (int w = 0; w < 2; w++) {
          JsonNode producer = json.readTree(node.post("/v1/producers", "").body());
          SequencedWriter writer =
              new SequencedWriter(
                  w,
                  "http://127.0.0.1:" + http,
                  producer.get("producerId").asLong(),
                  producer.get("producerEpoch").asInt(),
                  deadline);
          writers.add(writer);
          threads.add(Thread.ofPlatform().name("ledger-writer-" + w).start(writer));
        }
        NodeProcess killed = node;
        awaitWriters(
            writers,
            Duration.ofSeconds(60),
            () -> acknowledged(writers) >= 30,
            () -> "writers made too little progress:\n" + killed.logText());
        node.kill();

        node = NodeProcess.start(data, http, remote);
        node.awaitReady(READY);
        int[] atRestart = writers.stream().mapToInt(w -> w.acknowledged.size()).toArray();
        NodeProcess restarted = node;
        awaitWriters(
            writers,
            Duration.ofSeconds(90),
            () -> writers.stream().allMatch(w -> w.acknowledged.size() >= atRestart[w.writer] + 5),
            () -> "writers made too little progress after the restart:\n" + restarted.logText());
      } finally {
        writers.forEach(w -> w.stop = true);
        for (Thread t : threads) {
          t.join(60_000);
        }
      }
      assertNoWriterFailed(writers);
      assertTrue(
          writers.stream().mapToInt(w -> w.resends).sum() > 0,
          "a batch acknowledged before the kill was resent after it");

      List<List<String>> stored = List.of(storedValues(node, 0), storedValues(node, 1));
      Map<String, Integer> copies = new HashMap<>();
      stored.forEach(values -> values.forEach(v -> copies.merge(v, 1, Integer::sum)));
      int records = 0;
      for (SequencedWriter w : writers) {
        List<List<String>> sent = List.of(new ArrayList<>(), new ArrayList<>());
        for (SequencedWriter.Batch b : w.acknowledged) {
          for (int r = 0; r < b.values().size(); r++) {
            String value = b.values().get(r);
            long offset = b.offsets().get(r);
            assertEquals(
                value,
                offset < stored.get(b.partition()).size()
                    ? stored.get(b.partition()).get((int) offset)
                    : null,
                "acknowledged offset " + offset + " of partition " + b.partition());
            assertEquals(1, copies.get(value), "copies of " + value);
            sent.get(b.partition()).add(value);
            records++;
          }
        }
        for (int p = 0; p < 2; p++) {
          String prefix = "w" + w.writer + "-";
          assertEquals(
              sent.get(p),
              stored.get(p).stream().filter(v -> v.startsWith(prefix)).toList(),
              "writer " + w.writer + "'s records in send order on partition " + p);
        }
      }
      assertEquals(
          records,
          stored.get(0).size() + stored.get(1).size(),
          "nothing stored that was not acknowledged");
      assertEquals(0, node.terminate(Duration.ofSeconds(30)));
    } finally {
      node.close();
    }
  }

  private static int acknowledged(List<SequencedWriter> writers) {
    return writers.stream().mapToInt(w -> w.acknowledged.size()).sum();
  }

  /** Waits for {@code condition}; fails at once when a writer failed, or at the deadline. */
  private static void awaitWriters(
      List<SequencedWriter> writers,
      Duration timeout,
      BooleanSupplier condition,
      Callable<String> why)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      assertNoWriterFailed(writers);
      if (System.nanoTime() > deadline) {
        throw new AssertionError(why.call());
      }
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
    }
  }

  private static void assertNoWriterFailed(List<SequencedWriter> writers) {
    for (SequencedWriter w : writers) {
      if (w.failure != null) {
        throw new AssertionError(
            "writer " + w.writer + " failed: " + w.failure.getMessage(), w.failure);
      }
    }
  }

  /** The values of one partition in offset order (the log has no gaps: no compaction here). */
  private static List<String> storedValues(NodeProcess node, int partition) throws Exception {
    List<String> values = new ArrayList<>();
    long offset = 0;
    while (true) {
      var response =
          node.get(
              "/v1/topics/ledger/partitions/"
                  + partition
                  + "/records?offset="
                  + offset
                  + "&maxRecords=500&maxWaitMs=0");
      assertEquals(200, response.statusCode(), response.body());
      JsonNode fetched = json.readTree(response.body());
      for (JsonNode record : fetched.get("records")) {
        assertEquals(values.size(), record.get("offset").asLong(), "offsets are contiguous");
        values.add(record.get("value").asText());
      }
      offset = fetched.get("nextOffset").asLong();
      if (offset >= fetched.get("highWatermark").asLong()) {
        return values;
      }
    }
  }

  /**
   * One idempotent producer over HTTP, written as a careful client would: batch {@code i} goes to
   * partition {@code i % 2} with that partition's next sequence, and is resent unchanged until it
   * is acknowledged. When a batch needed more than one attempt because a connection broke or timed
   * out, the batch acknowledged before it is resent once as well (a client that lost that answer
   * would do so) and must get its original offsets. A refusal (4xx, 5xx other than 503/504) or the
   * deadline ends the writer with {@link #failure}.
   */
  private static final class SequencedWriter implements Runnable {
    private static final HttpClient client =
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    record Batch(int partition, int baseSequence, List<String> values, List<Long> offsets) {}

    private record Outcome(List<Long> offsets, boolean connectionFailed) {}

    final int writer;
    final List<Batch> acknowledged = new CopyOnWriteArrayList<>();
    volatile boolean stop;
    volatile Throwable failure;
    volatile int resends;
    private final String base;
    private final long producerId;
    private final int epoch;
    private final long deadlineNanos;
    private final int[] nextSequence = new int[2];

    SequencedWriter(int writer, String base, long producerId, int epoch, long deadlineNanos) {
      this.writer = writer;
      this.base = base;
      this.producerId = producerId;
      this.epoch = epoch;
      this.deadlineNanos = deadlineNanos;
    }

    @Override
    public void run() {
      try {
        for (int i = 0; !stop; i++) {
          int partition = i % 2;
          List<String> values = new ArrayList<>();
          for (int r = 0; r < 5; r++) {
            values.add("w" + writer + "-b" + i + "-r" + r);
          }
          Outcome outcome = sendUntilAcknowledged(partition, nextSequence[partition], values);
          acknowledged.add(
              new Batch(partition, nextSequence[partition], values, outcome.offsets()));
          nextSequence[partition] += values.size();
          if (outcome.connectionFailed() && acknowledged.size() >= 2) {
            Batch earlier = acknowledged.get(acknowledged.size() - 2);
            Outcome again =
                sendUntilAcknowledged(
                    earlier.partition(), earlier.baseSequence(), earlier.values());
            assertEquals(
                earlier.offsets(), again.offsets(), "offsets of a resent acknowledged batch");
            resends++;
          }
        }
      } catch (Throwable t) {
        failure = t;
      }
    }

    private Outcome sendUntilAcknowledged(int partition, int baseSequence, List<String> values)
        throws Exception {
      StringBuilder body =
          new StringBuilder(
              "{\"acks\":\"all\",\"producerId\":"
                  + producerId
                  + ",\"producerEpoch\":"
                  + epoch
                  + ",\"partition\":"
                  + partition
                  + ",\"baseSequence\":"
                  + baseSequence
                  + ",\"records\":[");
      for (int r = 0; r < values.size(); r++) {
        body.append(r == 0 ? "" : ",")
            .append("{\"key\":\"k")
            .append(r)
            .append("\",\"value\":\"")
            .append(values.get(r))
            .append("\"}");
      }
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(base + "/v1/topics/ledger/records"))
              .timeout(Duration.ofSeconds(10))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body.append("]}").toString()))
              .build();
      boolean connectionFailed = false;
      while (true) {
        if (System.nanoTime() > deadlineNanos) {
          throw new AssertionError(
              "batch " + values.getFirst() + " not acknowledged before the deadline");
        }
        try {
          HttpResponse<String> response =
              client.send(request, HttpResponse.BodyHandlers.ofString());
          if (response.statusCode() == 200) {
            List<Long> offsets = new ArrayList<>();
            json.readTree(response.body())
                .get("offsets")
                .forEach(o -> offsets.add(o.get("offset").asLong()));
            return new Outcome(offsets, connectionFailed);
          }
          if (response.statusCode() != 503 && response.statusCode() != 504) {
            throw new AssertionError(
                "batch "
                    + values.getFirst()
                    + " (sequence "
                    + baseSequence
                    + ") answered "
                    + response.statusCode()
                    + " "
                    + response.body());
          }
        } catch (IOException brokenOrTimedOut) {
          // The node was killed, is restarting, or did not answer in time: the outcome is
          // unknown, so the same batch goes again.
          connectionFailed = true;
        }
        LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
      }
    }
  }
}
