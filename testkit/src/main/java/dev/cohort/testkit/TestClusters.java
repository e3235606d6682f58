package dev.cohort.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.persistence.JournalProbe;
import dev.cohort.persistence.PersistenceSettings;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;

/**
 * Test nodes in one JVM: the settings every such node shares (a cluster provider on a loopback
 * address and an ephemeral port, every message serialized as if it crossed the wire, one JMX bean
 * per system), the journal it runs on (in memory, or H2 files) and joining a node to itself or to a
 * seed, with a deadline.
 */
public final class TestClusters {
  private TestClusters() {}

  /**
   * The settings every in-JVM test node shares, with {@code settings} (HOCON lines of the test's
   * own) after them, so that a test's line wins.
   */
  public static Config node(String settings) {
    return ConfigFactory.parseString(
        """
        pekko.actor.provider = cluster
        pekko.remote.artery.canonical.hostname = 127.0.0.1
        pekko.remote.artery.canonical.port = 0
        pekko.actor.serialize-messages = on
        pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
        pekko.loglevel = WARNING
        """
            + settings);
  }

  /** {@code config} on Pekko's in-memory journal and snapshot store (persistence test kit). */
  public static Config inMemoryJournal(Config config) {
    return config
        .withFallback(PersistenceTestKitPlugin.getInstance().config())
        .withFallback(PersistenceTestKitSnapshotPlugin.config());
  }

  /**
   * {@code config} (with every default already in it) on the real embedded journal: H2 files in
   * {@code dataDir}, the schema prepared, the plugin settings added.
   */
  public static Config h2Journal(Path dataDir, Config config) {
    Config base =
        ConfigFactory.parseString(
                """
                cohort.node.data-dir = "%s"
                cohort.persistence.journal = h2
                """
                    .formatted(dataDir.toString().replace("\\", "/")))
            .withFallback(config);
    PersistenceSettings persistence = PersistenceSettings.create(base);
    new JournalProbe(persistence).prepareSchema();
    return persistence.pluginConfig().withFallback(base);
  }

  /**
   * Joins {@code kit}'s system to {@code seed}'s cluster (to itself when {@code seed} is null) and
   * waits until it is Up; fails after {@code deadline}.
   */
  public static ActorTestKit join(ActorTestKit kit, ActorTestKit seed, Duration deadline) {
    Cluster cluster = Cluster.get(kit.system());
    var address =
        seed == null
            ? cluster.selfMember().address()
            : Cluster.get(seed.system()).selfMember().address();
    cluster.manager().tell(Join.create(address));
    Await.await(deadline, () -> cluster.selfMember().status() == MemberStatus.up());
    return kit;
  }
}
