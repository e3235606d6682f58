package dev.cohort.kv.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.cluster.NodeConfig;
import dev.cohort.testkit.Await;
import java.nio.file.Files;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A partition's home is a hint: it turns requests away only while its node is an unreachable
 * member, and a home that left the membership reads as departed. (The unreachable case needs a
 * partitioned cluster: the fault harness's partition runs exercise it, and their unique-put checker
 * proves that a write refused with {@code partition_unreachable} was never applied.)
 */
class PartitionHomesTest {
  private static ActorTestKit kit;
  private static String self;

  @BeforeAll
  static void start() throws Exception {
    kit =
        ActorTestKit.create(
            "cohort",
            NodeConfig.assemble(
                ConfigFactory.parseString(
                    "cohort.node { remote-port = 0, data-dir = \""
                        + Files.createTempDirectory("kv-homes")
                        + "\" }")));
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    Await.await(Await.ANSWER, () -> cluster.selfMember().status() == MemberStatus.up());
    self = cluster.selfMember().address().toString();
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void anUnknownPartitionIsNeverTurnedAway() {
    PartitionHomes homes = new PartitionHomes(kit.system());
    assertFalse(homes.unreachable("ks-0"));
    assertFalse(homes.departed("ks-0"));
  }

  @Test
  void aPartitionOnAReachableMemberIsNotTurnedAway() {
    PartitionHomes homes = new PartitionHomes(kit.system());
    homes.answeredFrom("ks-1", self);
    assertFalse(homes.unreachable("ks-1"));
    assertFalse(homes.departed("ks-1"));
  }

  @Test
  void aHomeThatIsNoMemberHasDepartedAndAnUnknownAnswerKeepsTheLastHome() {
    PartitionHomes homes = new PartitionHomes(kit.system());
    homes.answeredFrom("ks-2", "pekko://cohort@127.0.0.9:1");
    assertTrue(homes.departed("ks-2"));
    assertFalse(homes.unreachable("ks-2"), "a removed member is no unreachable member");
    homes.answeredFrom("ks-2", null);
    assertTrue(homes.departed("ks-2"));
    homes.answeredFrom("ks-2", self);
    assertFalse(homes.departed("ks-2"));
  }
}
