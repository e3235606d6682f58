package dev.cohort.kv;

import static dev.cohort.testkit.Await.join;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.testkit.TestClusters;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;

/** One-node clusters on the in-memory journal, for tests. */
final class KvTestSystems {
  private KvTestSystems() {}

  static Config config(String extra) {
    return TestClusters.inMemoryJournal(
            TestClusters.node(
                """
                pekko.cluster.sharding.passivation.strategy = none
                cohort.kv.lease.check-interval = 100ms
                cohort.kv.ask-timeout = 5s
                """
                    + extra))
        .withFallback(ConfigFactory.parseResources("cohort-pekko.conf"))
        .withFallback(ConfigFactory.load());
  }

  /** A test kit whose system is a one-node cluster that has joined itself. */
  static ActorTestKit cluster(String name, String extra) {
    return TestClusters.join(
        ActorTestKit.create(name, config(extra)), null, Duration.ofSeconds(10));
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
