package dev.cohort.kv.ap;

import static dev.cohort.testkit.Await.await;
import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.kv.KvException;
import dev.cohort.kv.ap.internal.ApKeyspacesImpl;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.remote.RARP;
import org.apache.pekko.remote.transport.ThrottlerTransportAdapter;
import org.apache.pekko.remote.transport.ThrottlerTransportAdapter$;

/**
 * Several cluster nodes in one JVM for AP keyspace tests: Artery TCP on 127.0.0.1 with free ports,
 * the first node the seed, {@code serialize-messages = on} (so every replica message goes through
 * Kryo), each node with its own data directory, no downing, fast background work.
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
            cohort.kv.ap.request-timeout = 3s
            cohort.kv.ap.sweep-interval = 300ms
            cohort.kv.ap.gossip-interval = 300ms
            cohort.kv.ap.hints.replay-interval = 200ms
            cohort.kv.ap.repair.interval = 0s
            cohort.kv.ap.store.sync = off
            # No extra write replicas after the nodes' start-up joins (tests count copies);
            # ApScaleOutTest sets it.
            cohort.kv.ap.streaming.settle = 0s
            """
                + "cohort.node.data-dir = \""
                + dataDir.toString().replace("\\", "/")
                + "\"\n"
                + extra)
        .withFallback(ConfigFactory.parseResources("cohort-pekko.conf"))
        .withFallback(ConfigFactory.load())
        .resolve();
  }

  /** Starts {@code n} nodes on {@code root/node-i}, joins them and starts AP keyspaces on each. */
  static ApTestCluster start(String name, Path root, int n, String extra) {
    ApTestCluster c = new ApTestCluster();
    for (int i = 0; i < n; i++) {
      c.kits.add(ActorTestKit.create(name, config(root.resolve("node-" + i), extra)));
    }
    Address seed = Cluster.get(c.kits.get(0).system()).selfMember().address();
    for (ActorTestKit kit : c.kits) {
      Cluster.get(kit.system()).manager().tell(Join.create(seed));
    }
    for (ActorTestKit kit : c.kits) {
      await(
          Duration.ofSeconds(30),
          () -> {
            var state = Cluster.get(kit.system()).state();
            List<org.apache.pekko.cluster.Member> members = new ArrayList<>();
            state.getMembers().forEach(members::add);
            return members.size() == n
                && members.stream().allMatch(m -> m.status() == MemberStatus.up());
          });
    }
    for (ActorTestKit kit : c.kits) {
      c.nodes.add(ApService.start(kit.system()));
    }
    c.awaitStreamed(Duration.ofSeconds(20));
    await(
        Duration.ofSeconds(20),
        () -> {
          try {
            join(c.ks(0, "ready").put("ready", new byte[] {1}, 0, Consistency.ALL));
            return true;
          } catch (KvException e) {
            return false;
          }
        });
    return c;
  }

  /**
   * Starts one more node on {@code root/node-i}, joins it to the first node, starts AP keyspaces on
   * it and waits until it is Up (not until it has streamed); answers its index.
   */
  int add(String name, Path root, String extra) {
    int i = kits.size();
    ActorTestKit kit = ActorTestKit.create(name, config(root.resolve("node-" + i), extra));
    kits.add(kit);
    Cluster.get(kit.system()).manager().tell(Join.create(address(0)));
    await(
        Duration.ofSeconds(30),
        () -> Cluster.get(kit.system()).selfMember().status() == MemberStatus.up());
    nodes.add(ApService.start(kit.system()));
    return i;
  }

  /** Waits until every node knows every node has streamed its ranges (serves reads). */
  void awaitStreamed(Duration timeout) {
    await(
        timeout,
        () -> {
          for (int i : running()) {
            for (int j : running()) {
              if (!impl(i).streamed(impl(j).self())) {
                return false;
              }
            }
          }
          return true;
        });
  }

  /** The indexes of the nodes whose actor system still runs. */
  List<Integer> running() {
    List<Integer> running = new ArrayList<>();
    for (int i = 0; i < kits.size(); i++) {
      if (!kits.get(i).system().whenTerminated().isCompleted()) {
        running.add(i);
      }
    }
    return running;
  }

  ApKeyspace ks(int node, String name) {
    return nodes.get(node).keyspace(name);
  }

  ApKeyspacesImpl impl(int node) {
    return (ApKeyspacesImpl) nodes.get(node);
  }

  /** The node index whose ring address is {@code address}. */
  int indexOf(String address) {
    for (int i = 0; i < nodes.size(); i++) {
      if (impl(i).self().equals(address)) {
        return i;
      }
    }
    throw new AssertionError("no node " + address);
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
    var mode =
        blackhole
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
    var done =
        transport.managementCommand(
            new ThrottlerTransportAdapter.SetThrottle(
                to, ThrottlerTransportAdapter$.MODULE$.bothDirection(), mode));
    scala.concurrent.Await.result(done, scala.concurrent.duration.Duration.create(5, "s"));
  }

  /** Waits until {@code observer}'s failure detector marks {@code node} unreachable (or back). */
  void awaitReachable(int observer, int node, boolean reachable) {
    await(
        Duration.ofSeconds(30),
        () -> {
          var state = Cluster.get(kits.get(observer).system()).state();
          boolean unreachable = false;
          for (var m : state.getUnreachable()) {
            unreachable |= m.address().equals(address(node));
          }
          return unreachable != reachable;
        });
  }

  @Override
  public void close() {
    for (ActorTestKit kit : kits) {
      kit.shutdownTestKit();
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
