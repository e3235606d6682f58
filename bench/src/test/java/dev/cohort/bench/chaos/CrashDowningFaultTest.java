package dev.cohort.bench.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Crash detection on three real node processes: a SIGKILLed node is downed by the survivors because
 * its remoting port refuses connections (their log says so), not by the split-brain resolver after
 * the failure detector; a SIGSTOPped node refuses nothing, is never taken for a crashed one, and
 * leaves through the failure detector and the split-brain resolver as before.
 */
@Tag("fault")
class CrashDowningFaultTest {
  private static final String DOWN_LINE = "its process is gone";
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Test
  void aKilledNodeIsDownedForItsClosedPortAndAPausedOneIsNot() throws Exception {
    Path work = Files.createTempDirectory("cohort-crash-down");
    try (ChaosCluster cluster = ChaosCluster.start(ApKillFaultTest.root(), work, 3, false)) {
      List<ChaosNode> nodes = cluster.nodes();
      ChaosNode victim = nodes.get(2);
      List<ChaosNode> survivors = nodes.subList(0, 2);
      String victimAddress = victim.host() + ":" + victim.remotePort();

      victim.kill();
      ChaosCluster.awaitUntil(
          DEADLINE,
          "the survivors remove the killed " + victim.name(),
          () -> noneLists(survivors, victimAddress),
          cluster);
      long crashDowns = downLines(survivors, victimAddress);
      assertTrue(
          crashDowns >= 1,
          "no survivor downed "
              + victimAddress
              + " for its gone process; the split-brain"
              + " resolver did:\n"
              + survivors.getFirst().logTail());

      cluster.startNode(victim);
      cluster.awaitHealthy(ChaosCluster.START);
      victim.pause();
      try {
        ChaosCluster.awaitUntil(
            DEADLINE,
            "the survivors remove the paused " + victim.name(),
            () -> noneLists(survivors, victimAddress),
            cluster);
      } finally {
        victim.resume();
      }
      assertEquals(
          crashDowns,
          downLines(survivors, victimAddress),
          "a paused process was taken for a crashed one");
      Integer exit = victim.awaitExit(DEADLINE);
      assertEquals(1, exit, "the downed node exits with status 1 when it resumes");
    }
  }

  private boolean noneLists(List<ChaosNode> nodes, String hostPort) throws Exception {
    for (ChaosNode node : nodes) {
      if (listed(node, hostPort)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether {@code node} lists a member at {@code hostPort} in {@code /v1/cluster}; a node that
   * does not answer in time counts as still listing it (the wait goes on until its deadline).
   */
  private boolean listed(ChaosNode node, String hostPort) throws Exception {
    HttpResponse<String> response;
    try {
      response =
          http.send(
              HttpRequest.newBuilder(node.gateway().resolve("/v1/cluster"))
                  .timeout(Duration.ofSeconds(2))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException noAnswer) {
      return true;
    }
    if (response.statusCode() != 200) {
      return true;
    }
    for (JsonNode member : json.readTree(response.body()).path("members")) {
      if (member.path("address").asText().endsWith("@" + hostPort)) {
        return true;
      }
    }
    return false;
  }

  private static long downLines(List<ChaosNode> nodes, String hostPort) throws Exception {
    long count = 0;
    for (ChaosNode node : nodes) {
      count +=
          node.logLines(DOWN_LINE).stream().filter(l -> l.contains("@" + hostPort + " ")).count();
    }
    return count;
  }
}
