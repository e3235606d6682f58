package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A full disk under the file journal: the journal's segments live on a small tmpfs that the test
 * fills. Readiness turns not ready naming the cause, writers get 503 {@code journal_write_failed},
 * reads go on; once space is freed the journal's probe makes the node ready again, writes succeed,
 * and every write acknowledged before, during and after reads back, also after a restart.
 *
 * <p>Needs root (mount); skipped with a message elsewhere. The tmpfs is unmounted also on failure.
 */
@Tag("integration")
class JournalDiskFullTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static final int VALUE_BYTES = 32 * 1024;
  private static final long HEADROOM_BYTES = 512 * 1024;

  @Test
  void fullDiskFlipsReadinessRefusesWritesAndRecoversWithNothingLost() throws Exception {
    Path mount = Files.createTempDirectory("cohort-journal-tmpfs");
    String mounted = run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mount.toString());
    Assumptions.assumeTrue(
        mounted == null, "skipped: cannot mount a tmpfs (needs root and mount): " + mounted);
    CohortNode node = null;
    try {
      Path data = Files.createTempDirectory("cohort-disk-full");
      CohortConfig config = config(data, mount.resolve("events"));
      node = Cohort.start(config);
      HttpTestClient http = new HttpTestClient(node);
      awaitReadiness(http, 200);
      Map<String, String> acknowledged = new LinkedHashMap<>();

      Path filler = fill(mount);
      int failedStatus = 0;
      for (int i = 0; i < 200 && failedStatus == 0; i++) {
        String key = "before/" + i;
        String value = i + "x".repeat(VALUE_BYTES);
        var put = put(http, key, value);
        if (put.statusCode() == 200) {
          acknowledged.put(key, value);
        } else {
          failedStatus = put.statusCode();
        }
      }
      assertTrue(failedStatus == 503 || failedStatus == 504, "no write failed on the full disk");
      assertTrue(acknowledged.size() > 0, "the headroom took no write");

      JsonNode notReady = awaitReadiness(http, 503);
      assertTrue(
          notReady.get("journalWrites").asText().contains("No space left on device"),
          notReady.toString());
      HttpTestClient.assertError(
          put(http, "refused", "never written"), 503, "journal_write_failed");
      String firstKey = acknowledged.keySet().iterator().next();
      awaitRead(http, firstKey, acknowledged.get(firstKey));

      Files.delete(filler);
      awaitReadiness(http, 200);
      var after = put(http, "after/0", "written after recovery");
      assertEquals(200, after.statusCode(), after.body());
      acknowledged.put("after/0", "written after recovery");
      for (Map.Entry<String, String> entry : acknowledged.entrySet()) {
        awaitRead(http, entry.getKey(), entry.getValue());
      }
      assertEquals(404, http.send("GET", "/v1/kv/default/keys/refused", null).statusCode());

      node.close();
      node = Cohort.start(config);
      HttpTestClient restarted = new HttpTestClient(node);
      awaitReadiness(restarted, 200);
      for (Map.Entry<String, String> entry : acknowledged.entrySet()) {
        awaitRead(restarted, entry.getKey(), entry.getValue());
      }
    } finally {
      if (node != null) {
        node.close();
      }
      String unmounted = run("umount", mount.toString());
      assertEquals(null, unmounted, "umount " + mount);
    }
  }

  private static CohortConfig config(Path data, Path journal) throws IOException {
    return HttpTestClient.embeddedNode("unused")
        .dataDir(data)
        .override("cohort.persistence.file.directory", journal.toString())
        .override("cohort.persistence.file.write-probe-interval", "200ms")
        .build();
  }

  /** Takes all but {@link #HEADROOM_BYTES} of the tmpfs with one file. */
  private static Path fill(Path mount) throws IOException {
    Path filler = mount.resolve("filler");
    long size = Files.getFileStore(mount).getUsableSpace() - HEADROOM_BYTES;
    try (FileChannel channel =
        FileChannel.open(filler, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
      for (long written = 0; written < size; ) {
        chunk.clear().limit((int) Math.min(chunk.capacity(), size - written));
        written += channel.write(chunk);
      }
    }
    return filler;
  }

  private static java.net.http.HttpResponse<String> put(
      HttpTestClient http, String key, String value) throws Exception {
    return http.send(
        "PUT",
        "/v1/kv/default/keys/" + key,
        HttpTestClient.JSON.writeValueAsString(Map.of("value", value)));
  }

  private static JsonNode awaitReadiness(HttpTestClient http, int status) throws Exception {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (true) {
      var ready = http.send("GET", "/health/ready", null);
      if (ready.statusCode() == status) {
        return HttpTestClient.JSON.readTree(ready.body());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("readiness never answered " + status + ": " + ready.body());
      }
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
    }
  }

  /** The key reads back with its value; a partition restarting after the failure may answer 5xx. */
  private static void awaitRead(HttpTestClient http, String key, String value) throws Exception {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (true) {
      var get = http.send("GET", "/v1/kv/default/keys/" + key, null);
      if (get.statusCode() == 200) {
        assertEquals(
            value, HttpTestClient.JSON.readTree(get.body()).path("kv").path("value").asText(), key);
        return;
      }
      if (get.statusCode() < 500 || System.nanoTime() > deadline) {
        throw new AssertionError(key + " does not read back: " + get.statusCode() + get.body());
      }
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
    }
  }

  /** Runs a command; null when it succeeded, else its exit status and output. */
  private static String run(String... command) throws IOException, InterruptedException {
    Process process;
    try {
      process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
    } catch (IOException e) {
      return e.getMessage();
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      return "timed out: " + List.of(command);
    }
    return process.exitValue() == 0 ? null : "exit " + process.exitValue() + ": " + output;
  }
}
