package dev.cohort.kv;

import static dev.cohort.testkit.Await.await;
import static dev.cohort.testkit.Await.join;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;

/** One-node clusters on the in-memory journal, for tests. */
final class KvTestSystems {
  private KvTestSystems() {}

  static Config config(String extra) {
    return ConfigFactory.parseString(
            """
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical.hostname = 127.0.0.1
            pekko.remote.artery.canonical.port = 0
            pekko.actor.serialize-messages = on
            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
            pekko.cluster.sharding.passivation.strategy = none
            pekko.loglevel = WARNING
            cohort.kv.lease.check-interval = 100ms
            cohort.kv.ask-timeout = 5s
            """
                + extra)
        .withFallback(PersistenceTestKitPlugin.getInstance().config())
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ConfigFactory.parseResources("cohort-pekko.conf"))
        .withFallback(ConfigFactory.load());
  }

  /** A test kit whose system is a one-node cluster that has joined itself. */
  static ActorTestKit cluster(String name, String extra) {
    ActorTestKit kit = ActorTestKit.create(name, config(extra));
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    await(Duration.ofSeconds(10), () -> cluster.selfMember().status() == MemberStatus.up());
    return kit;
  }

  /**
   * Starts the kv service and waits until it answers: the first request after a node starts waits
   * for sharding's coordinator, which on a busy machine can take longer than an ask.
   */
  static Kv startKv(ActorTestKit kit) {
    Kv kv = KvService.start(kit.system());
    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        join(kv.keyspaces());
        join(kv.range(Kv.DEFAULT_KEYSPACE, RangeRequest.prefix("").withCountOnly()));
        return kv;
      } catch (KvException e) {
        if (!e.code().equals("timeout") || System.nanoTime() > end) {
          throw e;
        }
      }
    }
  }
}
