package dev.cohort.saga;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.cluster.NodeConfig;
import dev.cohort.kv.KvService;
import dev.cohort.log.StreamLogService;
import dev.cohort.persistence.JournalProbe;
import dev.cohort.persistence.PersistenceSettings;
import dev.cohort.testkit.Await;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/** One-node clusters on the real embedded journal (H2 files in a data directory), for tests. */
final class H2Nodes {
  private H2Nodes() {}

  static Config config(Path dataDir) {
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
                # every node of a test shares this one H2 database in this JVM
                cohort.node.allow-local-journal-in-cluster = on
                cohort.saga.wake-interval = 500ms
                """
                    .formatted(dataDir.toString().replace("\\", "/")))
            .withFallback(NodeConfig.pekkoDefaults());
    PersistenceSettings persistence = PersistenceSettings.create(base);
    new JournalProbe(persistence).prepareSchema();
    return persistence.pluginConfig().withFallback(base);
  }

  static ActorTestKit node(Config config) {
    ActorTestKit kit = ActorTestKit.create("H2Node", config);
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    Await.await(Duration.ofSeconds(30), () -> cluster.selfMember().status() == MemberStatus.up());
    return kit;
  }

  static Sagas sagas(ActorTestKit kit) {
    return SagaService.start(
        kit.system(), KvService.start(kit.system()), StreamLogService.start(kit.system()));
  }
}
