package dev.cohort.saga;

import static dev.cohort.saga.SagaTestKit.join;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.cluster.NodeConfig;
import dev.cohort.kv.KvService;
import dev.cohort.log.StreamLogService;
import dev.cohort.persistence.JournalProbe;
import dev.cohort.persistence.PersistenceSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A node on the real embedded journal (pekko-persistence-jdbc over an H2 file) stops while a
 * saga's step is in flight; a new node on the same data directory resumes the saga from its
 * journal without being asked (its waker finds the instance in the index), and the participant
 * sees each step's effect once.
 */
@Tag("integration")
class NodeRestartTest {

  private static Config config(Path dataDir) {
    Config base =
        ConfigFactory.parseString(
                """
                pekko.actor.provider = cluster
                pekko.remote.artery.canonical.hostname = 127.0.0.1
                pekko.remote.artery.canonical.port = 0
                pekko.actor.serialize-messages = on
                pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
                pekko.loglevel = WARNING
                cohort.node.data-dir = "%s"
                cohort.persistence.journal = h2
                cohort.saga.wake-interval = 500ms
                """
                    .formatted(dataDir.toString().replace("\\", "/")))
            .withFallback(NodeConfig.pekkoDefaults());
    PersistenceSettings persistence = PersistenceSettings.create(base);
    new JournalProbe(persistence).prepareSchema();
    return persistence.pluginConfig().withFallback(base);
  }

  private static ActorTestKit node(Config config) {
    ActorTestKit kit = ActorTestKit.create("NodeRestartTest", config);
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    SagaTestKit.await(Duration.ofSeconds(30),
        () -> cluster.selfMember().status() == MemberStatus.up());
    return kit;
  }

  private static Sagas sagas(ActorTestKit kit) {
    return SagaService.start(kit.system(), KvService.start(kit.system()),
        StreamLogService.start(kit.system()));
  }

  @Test
  void aSagaInFlightWhenItsNodeStopsCompletesOnTheNextNode() throws Exception {
    Path dir = Files.createTempDirectory("cohort-saga-h2");
    Config config = config(dir);
    try (Participant participant = new Participant()) {
      String definition = """
          {"steps":[
            {"name":"reserve",
             "action":{"http":{"method":"POST","url":"%1$s/reserve","body":{"saga":"${sagaId}"}}},
             "compensation":{"http":{"method":"POST","url":"%1$s/release"}},
             "timeoutMs":10000},
            {"name":"confirm","action":{"http":{"method":"POST","url":"%1$s/confirm"}}}
          ]}
          """.formatted(participant.url(""));
      participant.slowNext("/reserve", 4000);

      ActorTestKit first = node(config);
      try {
        Sagas sagas = sagas(first);
        join(sagas.defineJson("restart", definition));
        join(sagas.start("restart", "r-1", Map.of()));
        SagaTestKit.await(Duration.ofSeconds(20), () -> participant.requests("/reserve").size() == 1);
      } finally {
        first.shutdownTestKit(); // the attempt's answer comes after the node is gone
      }

      ActorTestKit second = node(config);
      try {
        Sagas sagas = sagas(second);
        SagaTestKit.await(Duration.ofSeconds(30), () -> join(sagas.list(Optional.of("restart"),
            Optional.of(SagaState.COMPLETED))).stream().anyMatch(s -> s.id().equals("r-1")));
        SagaInstance done = join(sagas.get("r-1"));
        assertEquals(SagaState.COMPLETED, done.state());
        assertEquals(2, participant.requests("/reserve").size());
        assertEquals(1, participant.requests("/reserve").stream()
            .map(Participant.Request::key).distinct().count(), "one idempotency key");
        assertEquals(1, participant.effects("/reserve").size());
        assertEquals(1, participant.effects("/confirm").size());
        assertEquals(1, participant.requests("/confirm").size());
      } finally {
        second.shutdownTestKit();
      }
    }
  }
}
