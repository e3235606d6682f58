package dev.cohort.kv.ap;

import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.kv.KvException;
import dev.cohort.kv.ap.internal.ApBucket;
import dev.cohort.kv.ap.internal.ApBucketKey;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.ActorSelection;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.Replicator;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.remote.RARP;
import org.apache.pekko.remote.transport.ThrottlerTransportAdapter;
import org.apache.pekko.remote.transport.ThrottlerTransportAdapter$;

/**
 * Several cluster nodes in one JVM for AP keyspace tests: Artery TCP on 127.0.0.1 with free
 * ports, the first node the seed, {@code serialize-messages = on}, each node with its own data
 * directory, fast gossip and few buckets.
 */
final class ApTestCluster implements AutoCloseable {
  final List<ActorTestKit> kits = new ArrayList<>();
  final List<ApKeyspaces> nodes = new ArrayList<>();

  static Config config(Path dataDir, String extra) {
    return ConfigFactory.parseString(
            """
            pekko.actor.provider = cluster
            pekko.remote.artery.transport = tcp
            pekko.remote.artery.canonical.hostname = 127.0.0.1
            pekko.remote.artery.canonical.port = 0
            pekko.actor.serialize-messages = on
            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
            pekko.cluster.downing-provider-class = ""
            pekko.loglevel = WARNING
            cohort.kv.ap.buckets = 16
            cohort.kv.ap.gossip-interval = 200ms
            cohort.kv.ap.notify-interval = 50ms
            cohort.kv.ap.request-timeout = 3s
            cohort.kv.ap.sweep-interval = 300ms
            cohort.kv.ap.durable.fsync = off
            cohort.kv.ap.durable.write-behind-interval = 50ms
            """
                + "cohort.node.data-dir = \"" + dataDir.toString().replace("\\", "/") + "\"\n"
                + extra)
        .withFallback(ConfigFactory.load())
        .resolve();
  }

  /** Starts {@code n} nodes on {@code root/node-i}, joins them and starts AP keyspaces on each. */
  static ApTestCluster start(String name, Path root, int n, String extra) {
    ApTestCluster c = new ApTestCluster();
    for (int i = 0; i < n; i++) {
      ActorTestKit kit = ActorTestKit.create(name, config(root.resolve("node-" + i), extra));
      c.kits.add(kit);
    }
    Address seed = Cluster.get(c.kits.get(0).system()).selfMember().address();
    for (ActorTestKit kit : c.kits) {
      Cluster.get(kit.system()).manager().tell(Join.create(seed));
    }
    for (ActorTestKit kit : c.kits) {
      await(Duration.ofSeconds(20), () -> {
        var state = Cluster.get(kit.system()).state();
        List<org.apache.pekko.cluster.Member> members = new ArrayList<>();
        state.getMembers().forEach(members::add);
        return members.size() == n && members.stream().allMatch(m -> m.status() == MemberStatus.up());
      });
    }
    for (ActorTestKit kit : c.kits) {
      c.nodes.add(ApService.start(kit.system()));
    }
    c.awaitReady(n);
    return c;
  }

  /**
   * Waits until every replicator has loaded its durable store and sees all {@code n} replicas, and
   * a write at ALL goes through: the replicators learn of each other from cluster events after
   * they start, and a loaded 2-core machine can take a while.
   */
  private void awaitReady(int n) {
    for (ActorTestKit kit : kits) {
      var replicator = Adapter.toClassic(kit.system()).actorSelection("/system/cohortKvAp");
      await(Duration.ofSeconds(20), () -> {
        Object count = join(Patterns.ask(replicator, Replicator.GetReplicaCount$.MODULE$,
            Duration.ofSeconds(10)));
        return count instanceof Replicator.ReplicaCount r && r.n() == n;
      });
    }
    await(Duration.ofSeconds(20), () -> {
      try {
        join(ks(0, "ready").put("ready", new byte[] {1}, 0, Consistency.ALL));
        return true;
      } catch (dev.cohort.kv.KvException e) {
        return false;
      }
    });
  }

  ApKeyspace ks(int node, String name) {
    return nodes.get(node).keyspace(name);
  }

  Address address(int node) {
    return Cluster.get(kits.get(node).system()).selfMember().address();
  }

  /**
   * Drops (or lets through again) all traffic between node {@code cut} and every other node; the
   * cluster must run with {@code pekko.remote.artery.advanced.test-mode = on}. Artery's test mode
   * still takes the classic transport's throttle commands (deprecated with classic remoting, but
   * the only blackhole Pekko 1.7 offers without the multi-node test kit).
   */
  @SuppressWarnings("deprecation")
  void partition(int cut, boolean blackhole) throws Exception {
    var mode = blackhole
        ? ThrottlerTransportAdapter$.MODULE$.blackholeThrottleMode()
        : ThrottlerTransportAdapter$.MODULE$.unthrottledThrottleMode();
    for (int other = 0; other < kits.size(); other++) {
      if (other == cut) {
        continue;
      }
      throttle(cut, address(other), mode);
      throttle(other, address(cut), mode);
    }
  }

  @SuppressWarnings("deprecation")
  private void throttle(int node, Address to, ThrottlerTransportAdapter.ThrottleMode mode)
      throws Exception {
    var transport =
        ((RARP) RARP.get(Adapter.toClassic(kits.get(node).system()))).provider().transport();
    var done = transport.managementCommand(new ThrottlerTransportAdapter.SetThrottle(
        to, ThrottlerTransportAdapter$.MODULE$.bothDirection(), mode));
    scala.concurrent.Await.result(done, scala.concurrent.duration.Duration.create(5, "s"));
  }

  /** This node's raw replica of the bucket holding {@code key} (empty when it has none). */
  ApBucket rawBucket(int node, String keyspace, String key) {
    var system = Adapter.toClassic(kits.get(node).system());
    ActorSelection replicator = system.actorSelection("/system/cohortKvAp");
    int bucket = ApBucketKey.bucketOf(key, nodes.get(node).settings().buckets());
    Object reply = join(Patterns.ask(replicator,
        new Replicator.Get<>(ApBucketKey.of(keyspace, 0, bucket), Replicator.readLocal()),
        Duration.ofSeconds(5)));
    return reply instanceof Replicator.GetSuccess<?> s ? (ApBucket) s.dataValue() : ApBucket.EMPTY;
  }

  @Override
  public void close() {
    for (ActorTestKit kit : kits) {
      kit.shutdownTestKit();
    }
  }

  static void await(Duration deadline, BooleanSupplier condition) {
    long end = System.nanoTime() + deadline.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        fail("condition not met within " + deadline);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  static <T> T join(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new CompletionException(e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError("no answer within 20 s", e);
    }
  }

  /** The error {@code stage} fails with; fails the test if it succeeds. */
  static KvException error(CompletionStage<?> stage) {
    try {
      Object value = join(stage);
      return fail("expected a failure, got " + value);
    } catch (KvException e) {
      return e;
    }
  }

  /** The value of {@code key} read at ONE, or null when absent. */
  static String valueAtOne(ApKeyspace ks, String key) {
    try {
      return join(ks.get(key, Consistency.ONE)).valueUtf8();
    } catch (KvException e) {
      if (e.code().equals("key_not_found")) {
        return null;
      }
      throw e;
    }
  }
}
