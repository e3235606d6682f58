package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code ./cohort cluster members|leave|down} against a real node process: the listing shows the
 * member, a bad address fails with the gateway's code and exit status 1, and a leave makes the node
 * leave and its process exit with status 0 (a requested stop, not a failure).
 */
@Tag("integration")
class ClusterCliTest {

  @Test
  void membersDownOfAnUnknownAddressAndLeave() throws Exception {
    int remote = NodeProcess.freePort();
    try (NodeProcess node =
        NodeProcess.start(
            Files.createTempDirectory("cohort-cluster-cli"), NodeProcess.freePort(), remote)) {
      node.awaitReady(Duration.ofSeconds(60));
      String self = "pekko://cohort@127.0.0.1:" + remote;

      NodeProcess.CliResult members = node.cli(null, "cluster", "members");
      assertEquals(0, members.exit(), members.toString());
      assertTrue(
          members
              .out()
              .lines()
              .anyMatch(l -> l.matches(self + "\\s+Up\\s+true\\s+\\S+\\s+true\\s*")),
          members.out());

      NodeProcess.CliResult unknown = node.cli(null, "cluster", "down", "127.0.0.1:1");
      assertEquals(3, unknown.exit(), "not found exits 3: " + unknown);
      assertTrue(unknown.err().contains("member_not_found"), unknown.err());
      assertEquals(200, node.get("/health/ready").statusCode(), "a refused down changed the node");

      NodeProcess.CliResult leave = node.cli(null, "cluster", "leave", "127.0.0.1:" + remote);
      assertEquals(0, leave.exit(), leave.toString());
      assertEquals("Leaving " + self, leave.out().strip());
      assertEquals(0, node.awaitExit(Duration.ofSeconds(60)), node.logText());
      assertTrue(node.logText().contains("left the cluster as an operator asked"), node.logText());
    }
  }
}
