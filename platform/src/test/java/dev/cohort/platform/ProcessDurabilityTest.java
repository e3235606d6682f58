package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Acknowledged means durable: writers go through the gateway of a real node process, the process
 * is SIGKILLed mid-stream, restarted on the same data directory, and every acknowledged write must
 * be there.
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
                              node.put("/v1/kv/default/keys/" + key, "{\"value\":\"" + value + "\"}");
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
      assertTrue(enough.await(60, TimeUnit.SECONDS), "writers made too little progress:\n" + node.logText());
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
            || !json.readTree(read.body()).path("kv").path("value").asText().equals(write.getValue())) {
          lost.add(write.getKey() + " -> " + read.statusCode() + " " + read.body());
        }
      }
      assertEquals(List.of(), lost, acknowledged.size() + " acknowledged writes");
      assertEquals(0, again.terminate(Duration.ofSeconds(30)));
    }
  }

  @Test
  void everyAcknowledgedRecordSurvivesSigkillExactlyOnce() throws Exception {
    Path data = Files.createTempDirectory("cohort-kill-log");
    int http = NodeProcess.freePort();
    int remote = NodeProcess.freePort();
    Map<Long, String> acknowledged = new ConcurrentHashMap<>();
    try (NodeProcess node = NodeProcess.start(data, http, remote)) {
      node.awaitReady(READY);
      assertEquals(201, node.post("/v1/topics", "{\"name\":\"ledger\",\"partitions\":1}").statusCode());
      CountDownLatch enough = new CountDownLatch(30);
      Thread producer =
          Thread.ofPlatform()
              .start(
                  () -> {
                    for (int batch = 0; ; batch++) {
                      StringBuilder body = new StringBuilder("{\"acks\":\"all\",\"records\":[");
                      for (int r = 0; r < 10; r++) {
                        body.append(r == 0 ? "" : ",").append("{\"key\":\"k").append(r).append("\",\"value\":\"b")
                            .append(batch).append("-r").append(r).append("\"}");
                      }
                      try {
                        var response = node.post("/v1/topics/ledger/records", body.append("]}").toString());
                        if (response.statusCode() != 200) {
                          return;
                        }
                        JsonNode offsets = json.readTree(response.body()).get("offsets");
                        for (int r = 0; r < offsets.size(); r++) {
                          acknowledged.put(offsets.get(r).get("offset").asLong(), "b" + batch + "-r" + r);
                        }
                      } catch (Exception killed) {
                        return;
                      }
                      enough.countDown();
                    }
                  });
      assertTrue(enough.await(60, TimeUnit.SECONDS), "producer made too little progress:\n" + node.logText());
      node.kill();
      producer.join(30_000);
    }
    try (NodeProcess again = NodeProcess.start(data, http, remote)) {
      again.awaitReady(READY);
      Map<Long, String> stored = new HashMap<>();
      Map<String, Integer> copies = new HashMap<>();
      long offset = 0;
      while (true) {
        JsonNode fetched =
            json.readTree(
                again.get("/v1/topics/ledger/partitions/0/records?offset=" + offset + "&maxRecords=500&maxWaitMs=0").body());
        for (JsonNode record : fetched.get("records")) {
          stored.put(record.get("offset").asLong(), record.get("value").asText());
          copies.merge(record.get("value").asText(), 1, Integer::sum);
        }
        offset = fetched.get("nextOffset").asLong();
        if (offset >= fetched.get("highWatermark").asLong()) {
          break;
        }
      }
      for (Map.Entry<Long, String> ack : acknowledged.entrySet()) {
        assertEquals(ack.getValue(), stored.get(ack.getKey()), "acknowledged offset " + ack.getKey());
        assertEquals(1, copies.get(ack.getValue()), "copies of " + ack.getValue());
      }
      assertEquals(0, again.terminate(Duration.ofSeconds(30)));
    }
  }
}
