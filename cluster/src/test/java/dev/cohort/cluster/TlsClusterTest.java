package dev.cohort.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.cluster.tls.DevCertificates;
import dev.cohort.testkit.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Node-to-node mutual TLS: nodes holding certificates from the cluster's CA form a cluster over
 * {@code tls-tcp}; a node whose certificate another CA issued never becomes a member, even though
 * it trusts the cluster's CA and so accepts the seed's certificate.
 */
@Tag("integration")
class TlsClusterTest {
  private static final Duration YEAR = Duration.ofDays(365);
  private static final List<String> HOSTS = List.of("localhost", "127.0.0.1");

  @TempDir Path dir;
  private final List<ActorSystem<Void>> systems = new ArrayList<>();

  @AfterEach
  void terminate() throws Exception {
    systems.forEach(ActorSystem::terminate);
    for (ActorSystem<Void> system : systems) {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private ActorSystem<Void> start(String name, int port, int seedPort, Path caFile) {
    Config user =
        ConfigFactory.parseString(
            // membership only: no entity of this test keeps events
            """
            cohort.node {
              remote-port = %d, seeds = ["127.0.0.1:%d"], data-dir = "%s"
              allow-local-journal-in-cluster = on
              tls { enabled = on, cert-file = "%s", key-file = "%s", ca-file = "%s" }
            }
            """
                .formatted(
                    port,
                    seedPort,
                    dir.resolve("data-" + name),
                    dir.resolve(name + ".crt"),
                    dir.resolve(name + ".key"),
                    caFile));
    Config config = NodeConfig.assemble(user);
    assertEquals("tls-tcp", config.getString("pekko.remote.artery.transport"));
    ActorSystem<Void> system =
        ActorSystem.create(Behaviors.empty(), NodeSettings.SYSTEM_NAME, config);
    systems.add(system);
    return system;
  }

  @Test
  void nodesOfTheClusterCaJoinAndANodeOfAnotherCaNeverDoes() throws Exception {
    DevCertificates.Issued clusterCa = DevCertificates.authority("cluster CA", YEAR);
    clusterCa.write(dir.resolve("ca.crt"), dir.resolve("ca.key"));
    for (String name : List.of("n1", "n2")) {
      DevCertificates.node(clusterCa, name, HOSTS, YEAR)
          .write(dir.resolve(name + ".crt"), dir.resolve(name + ".key"));
    }
    DevCertificates.Issued otherCa = DevCertificates.authority("other CA", YEAR);
    DevCertificates.node(otherCa, "rogue", HOSTS, YEAR)
        .write(dir.resolve("rogue.crt"), dir.resolve("rogue.key"));

    int seedPort = ThreeNodeClusterTest.freePort();
    ActorSystem<Void> first = start("n1", seedPort, seedPort, dir.resolve("ca.crt"));
    ActorSystem<Void> second =
        start("n2", ThreeNodeClusterTest.freePort(), seedPort, dir.resolve("ca.crt"));
    Await.await(
        Duration.ofSeconds(30),
        () ->
            ClusterStatus.of(first).count("Up") == 2 && ClusterStatus.of(second).count("Up") == 2);

    ActorSystem<Void> rogue =
        start("rogue", ThreeNodeClusterTest.freePort(), seedPort, dir.resolve("ca.crt"));
    String rogueAddress = Cluster.get(rogue).selfMember().address().toString();
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < end) {
      assertTrue(
          Cluster.get(rogue).selfMember().status() != MemberStatus.up(),
          "the node of another CA became Up");
      for (ActorSystem<Void> member : List.of(first, second)) {
        ClusterStatus status = ClusterStatus.of(member);
        assertTrue(
            status.members().stream().noneMatch(m -> m.address().equals(rogueAddress)),
            status.self() + " sees the node of another CA: " + status);
        assertEquals(2, status.count("Up"), status.toString());
      }
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos()); // observation interval
    }
    assertTrue(
        ClusterStatus.of(rogue).members().stream().noneMatch(m -> m.status().equals("Up")),
        "the node of another CA sees a member: " + ClusterStatus.of(rogue));
  }
}
