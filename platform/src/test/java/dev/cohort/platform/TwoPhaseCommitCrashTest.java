package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Both crash cases of two-phase commit with a real process: a node started with the test failpoint
 * {@code cohort.kv.txn.failpoint} halts its JVM (as SIGKILL would) in the coordinator of a
 * cross-partition transaction sent over HTTP; it is restarted without the failpoint on the same
 * data directory, and the transaction must then be all there (decision journaled) or not there with
 * its keys writable again (no decision: presumed abort).
 */
@Tag("fault")
class TwoPhaseCommitCrashTest {
  private static final ObjectMapper json = new ObjectMapper();
  private static final Duration READY = Duration.ofSeconds(60);

  /** Recovery needs the partitions' prepare-timeout (2 s here) plus a few journal writes. */
  private static final Duration RECOVERY = Duration.ofSeconds(30);

  @Test
  void crashAfterTheDecisionCommitsEveryPartitionAfterRestart() throws Exception {
    Restarted node = crashIn("crash-after-decision");
    try (NodeProcess again = node.process()) {
      awaitValue(again, node.a(), "new");
      awaitValue(again, node.b(), "new");
      assertEquals(0, again.terminate(Duration.ofSeconds(30)));
    }
  }

  @Test
  void crashBeforeTheDecisionAbortsAndUnlocksAfterRestart() throws Exception {
    Restarted node = crashIn("crash-before-decision");
    try (NodeProcess again = node.process()) {
      for (String key : new String[] {node.a(), node.b()}) {
        // reads serve the committed value, locked or not
        assertEquals("old", value(again, key));
        long deadline = System.nanoTime() + RECOVERY.toNanos();
        while (true) {
          HttpResponse<String> put = again.put("/v1/kv/crash/keys/" + key, "{\"value\":\"free\"}");
          if (put.statusCode() == 200) {
            break;
          }
          assertEquals(409, put.statusCode(), put.body());
          assertTrue(put.body().contains("key_locked"), put.body());
          if (System.nanoTime() > deadline) {
            fail(key + " still locked after " + RECOVERY + ":\n" + again.logText());
          }
        }
      }
      assertEquals("free", value(again, node.a()));
      assertEquals("free", value(again, node.b()));
      assertEquals(0, again.terminate(Duration.ofSeconds(30)));
    }
  }

  private record Restarted(NodeProcess process, String a, String b) {}

  /**
   * Starts a node with {@code failpoint}, writes "old" to two keys of different partitions, sends a
   * transaction writing "new" to both, waits for the halt, and restarts the node without it.
   */
  private static Restarted crashIn(String failpoint) throws Exception {
    Path data = Files.createTempDirectory("cohort-2pc-" + failpoint);
    Path withFailpoint = Files.createTempFile("cohort-2pc-", ".conf");
    Files.writeString(
        withFailpoint,
        """
        cohort.kv.txn.prepare-timeout = 2s
        cohort.kv.txn.failpoint = "%s"
        """
            .formatted(failpoint));
    Path without = Files.createTempFile("cohort-2pc-", ".conf");
    Files.writeString(without, "cohort.kv.txn.prepare-timeout = 2s\n");
    int http = NodeProcess.freePort();
    int remote = NodeProcess.freePort();
    String a = "acct/a";
    String b = null;
    try (NodeProcess node =
        NodeProcess.start(data, http, remote, "--config", withFailpoint.toString())) {
      node.awaitReady(READY);
      assertEquals(
          201, node.put("/v1/keyspaces/crash", "{\"mode\":\"cp\",\"partitions\":4}").statusCode());
      int pa = partitionOfPut(node, a);
      for (int i = 0; b == null; i++) {
        if (partitionOfPut(node, "acct/b" + i) != pa) {
          b = "acct/b" + i;
        }
      }
      String txn =
          """
          {"compare":[{"key":"%1$s","target":"value","op":"=","value":"old"}],
           "success":[{"put":{"key":"%1$s","value":"new"}},{"put":{"key":"%2$s","value":"new"}}]}
          """
              .formatted(a, b);
      try {
        HttpResponse<String> answer = node.post("/v1/kv/crash/txn", txn);
        fail("the node answered instead of halting: " + answer.statusCode() + " " + answer.body());
      } catch (IOException connectionBroken) {
        // the JVM halted at the failpoint while the request was open
      }
      node.awaitExit(Duration.ofSeconds(30));
      assertTrue(node.logText().contains("failpoint " + failpoint), node.logText());
    }
    NodeProcess again = NodeProcess.start(data, http, remote, "--config", without.toString());
    again.awaitReady(READY);
    return new Restarted(again, a, b);
  }

  /** Puts "old" to {@code key} and returns the partition its answer names. */
  private static int partitionOfPut(NodeProcess node, String key) throws Exception {
    HttpResponse<String> put = node.put("/v1/kv/crash/keys/" + key, "{\"value\":\"old\"}");
    assertEquals(200, put.statusCode(), put.body());
    return json.readTree(put.body()).get("header").get("partition").asInt();
  }

  private static String value(NodeProcess node, String key) throws Exception {
    HttpResponse<String> got = node.get("/v1/kv/crash/keys/" + key);
    assertEquals(200, got.statusCode(), got.body());
    return json.readTree(got.body()).get("kv").get("value").asText();
  }

  private static void awaitValue(NodeProcess node, String key, String expected) throws Exception {
    long deadline = System.nanoTime() + RECOVERY.toNanos();
    while (!value(node, key).equals(expected)) {
      if (System.nanoTime() > deadline) {
        fail(key + " is not '" + expected + "' within " + RECOVERY + ":\n" + node.logText());
      }
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
    }
  }
}
