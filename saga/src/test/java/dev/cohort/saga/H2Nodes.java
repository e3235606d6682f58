package dev.cohort.saga;

import com.typesafe.config.Config;
import dev.cohort.cluster.NodeConfig;
import dev.cohort.kv.KvService;
import dev.cohort.log.StreamLogService;
import dev.cohort.testkit.TestClusters;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;

/** One-node clusters on the real embedded journal (H2 files in a data directory), for tests. */
final class H2Nodes {
  private H2Nodes() {}

  static Config config(Path dataDir) {
    return TestClusters.h2Journal(
        dataDir,
        TestClusters.node(
                """
                # every node of a test shares this one H2 database in this JVM
                cohort.node.allow-local-journal-in-cluster = on
                cohort.saga.wake-interval = 500ms
                """)
            .withFallback(NodeConfig.pekkoDefaults()));
  }

  static ActorTestKit node(Config config) {
    return TestClusters.join(ActorTestKit.create("H2Node", config), null, Duration.ofSeconds(30));
  }

  static Sagas sagas(ActorTestKit kit) {
    return SagaService.start(
        kit.system(), KvService.start(kit.system()), StreamLogService.start(kit.system()));
  }
}
