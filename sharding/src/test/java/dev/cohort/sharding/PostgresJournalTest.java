package dev.cohort.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.cluster.ClusterStatus;
import dev.cohort.cluster.Membership;
import dev.cohort.cluster.NodeConfig;
import dev.cohort.cluster.NodeSettings;
import dev.cohort.persistence.JournalProbe;
import dev.cohort.persistence.PersistenceSettings;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two nodes sharing the PostgreSQL journal that {@code .ci/run} starts (connection from
 * COHORT_PG_URL / COHORT_PG_USER / COHORT_PG_PASSWORD or the defaults in reference.conf).
 */
@Tag("integration")
class PostgresJournalTest {
  private final List<ActorSystem<Void>> systems = new ArrayList<>();

  @AfterEach
  void terminate() throws Exception {
    for (ActorSystem<Void> system : systems) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private ActorSystem<Void> node(int port, int seedPort) throws IOException {
    Config user =
        ConfigFactory.parseString(
            """
            cohort.persistence.journal = postgresql
            cohort.node { remote-port = %d, seeds = ["127.0.0.1:%d"], data-dir = "%s" }
            pekko.actor.serialize-messages = on
            pekko.cluster.sharding.rebalance-interval = 1s
            """
                .formatted(port, seedPort, Files.createTempDirectory("cohort-pg")));
    Config config = NodeConfig.assemble(user);
    JournalProbe probe = new JournalProbe(PersistenceSettings.create(config));
    assertTrue(
        probe.answers(),
        "PostgreSQL does not answer at "
            + probe.settings().jdbcUrl()
            + " — start it as .ci/run does (apt-get install postgresql, pg_ctlcluster, createdb)");
    probe.prepareSchema();
    ActorSystem<Void> system =
        ActorSystem.create(Behaviors.empty(), NodeSettings.SYSTEM_NAME, config);
    systems.add(system);
    return system;
  }

  @Test
  void entityWrittenOnOneNodeRecoversOnTheOtherAfterTheFirstLeaves() throws Exception {
    int firstPort = freePort();
    ActorSystem<Void> first = node(firstPort, firstPort);
    Membership.whenUp(first, Duration.ofSeconds(30)).toCompletableFuture().get();
    Counters onFirst = Counters.start(first);
    String name = "pg-" + UUID.randomUUID();
    for (int i = 1; i <= 5; i++) {
      assertEquals(i * 10L, onFirst.increment(name, 10).toCompletableFuture().get());
    }

    ActorSystem<Void> second = node(freePort(), firstPort);
    Membership.whenUp(second, Duration.ofSeconds(30)).toCompletableFuture().get();
    Counters onSecond = Counters.start(second);

    CoordinatedShutdown.get(first)
        .runAll(CoordinatedShutdown.clusterLeavingReason())
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (ClusterStatus.of(second).members().size() > 1 && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(50_000_000);
    }
    assertEquals(1, ClusterStatus.of(second).members().size(), "the first node has left");

    assertEquals(50L, onSecond.get(name).toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertEquals(51L, onSecond.increment(name, 1).toCompletableFuture().get());
  }
}
