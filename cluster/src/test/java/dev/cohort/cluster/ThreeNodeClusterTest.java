package dev.cohort.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("integration")
class ThreeNodeClusterTest {
  private final List<ActorSystem<Void>> systems = new ArrayList<>();

  @AfterEach
  void terminate() throws Exception {
    for (ActorSystem<Void> system : systems) {
      system.terminate();
    }
    for (ActorSystem<Void> system : systems) {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private ActorSystem<Void> start(int port, int seedPort, Path dataDir) {
    Config user =
        ConfigFactory.parseString(
            // membership only: no entity of this test keeps events
            ("cohort.node { remote-port = %d, seeds = [\"127.0.0.1:%d\"], data-dir = \"%s\","
                    + " allow-local-journal-in-cluster = on }")
                .formatted(port, seedPort, dataDir));
    ActorSystem<Void> system =
        ActorSystem.create(Behaviors.empty(), NodeSettings.SYSTEM_NAME, NodeConfig.assemble(user));
    systems.add(system);
    return system;
  }

  @Test
  void threeNodesJoinThroughTheFirstSeedAndAllSeeEveryoneUp() throws Exception {
    Path dir = Files.createTempDirectory("cohort-3nodes");
    int seedPort = freePort();
    ActorSystem<Void> first = start(seedPort, seedPort, dir.resolve("n1"));
    start(freePort(), seedPort, dir.resolve("n2"));
    start(freePort(), seedPort, dir.resolve("n3"));
    for (ActorSystem<Void> system : systems) {
      Membership.whenUp(system, Duration.ofSeconds(30)).toCompletableFuture().get();
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    for (ActorSystem<Void> system : systems) {
      ClusterStatus status = ClusterStatus.of(system);
      while (status.count("Up") < 3 && System.nanoTime() < deadline) {
        LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        status = ClusterStatus.of(system);
      }
      assertEquals(3, status.count("Up"), "members seen by " + status.self() + ": " + status);
      assertTrue(status.members().stream().allMatch(ClusterStatus.MemberInfo::reachable));
      assertTrue(status.leader().isPresent());
    }
    assertEquals(
        "pekko://cohort@127.0.0.1:" + seedPort,
        ClusterStatus.of(first).oldest().orElseThrow(),
        "the first seed is the oldest member");
  }
}
