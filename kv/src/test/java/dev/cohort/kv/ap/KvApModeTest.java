package dev.cohort.kv.ap;

import static dev.cohort.kv.ap.ApTestCluster.error;
import static dev.cohort.testkit.Await.await;
import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.kv.Compare;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KeyspaceInfo;
import dev.cohort.kv.KeyspaceSpec;
import dev.cohort.kv.Kv;
import dev.cohort.kv.KvException;
import dev.cohort.kv.KvService;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.RangeRequest;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnRequest;
import dev.cohort.kv.WatchEvent;
import dev.cohort.kv.WatchRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AP keyspaces through the kv service's embedded API ({@code Kv}), on a one-node cluster. */
class KvApModeTest {
  @TempDir static Path root;
  private static ActorTestKit kit;
  private static Kv kv;

  @BeforeAll
  static void start() {
    kit =
        ActorTestKit.create(
            "KvApModeTest",
            PersistenceTestKitPlugin.getInstance()
                .config()
                .withFallback(PersistenceTestKitSnapshotPlugin.config())
                .withFallback(
                    ConfigFactory.parseString("pekko.cluster.sharding.passivation.strategy = none"))
                .withFallback(ApTestCluster.config(root, ""))
                .resolve());
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    await(Duration.ofSeconds(10), () -> cluster.selfMember().status() == MemberStatus.up());
    kv = KvService.start(kit.system());
    KeyspaceInfo created = join(kv.createKeyspace("sessions", new KeyspaceSpec("ap", 64)));
    assertEquals("ap", created.mode());
    assertEquals(0, created.partitions());
  }

  @AfterAll
  static void stop() {
    if (kit != null) {
      kit.shutdownTestKit();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void createIsIdempotentAndListed() {
    KeyspaceInfo again = join(kv.createKeyspace("sessions", KeyspaceSpec.ap()));
    assertFalse(again.created());
    assertTrue(
        join(kv.keyspaces()).stream()
            .anyMatch(k -> k.name().equals("sessions") && k.mode().equals("ap")));
    assertEquals(
        "unsupported_mode", error(kv.createKeyspace("weird", new KeyspaceSpec("xx", 4))).code());
    assertEquals(
        "keyspace_exists", error(kv.createKeyspace("sessions", KeyspaceSpec.cp(4))).code());
  }

  @Test
  void keyOperationsRouteToTheApImplementation() {
    join(kv.put("sessions", "u/1", bytes("one"), PutOptions.NONE, Consistency.ALL, 0));
    join(kv.put("sessions", "u/2", "two"));
    KeyValue got = join(kv.get("sessions", "u/1", Consistency.QUORUM)).kv();
    assertEquals("one", got.valueUtf8());
    assertTrue(got.modRevision() > 0, "modRevision carries the HLC timestamp");
    assertEquals("two", join(kv.get("sessions", "u/2")).kv().valueUtf8());
    assertEquals(
        List.of("u/1", "u/2"),
        join(kv.range("sessions", RangeRequest.prefix("u/"), Consistency.ONE)).kvs().stream()
            .map(KeyValue::key)
            .toList());
    var page = join(kv.range("sessions", RangeRequest.prefix("u/").withLimit(1)));
    assertTrue(page.more());
    var rest =
        join(kv.range("sessions", RangeRequest.prefix("u/").withLimit(1).withPage(page.next())));
    assertEquals(List.of("u/2"), rest.kvs().stream().map(KeyValue::key).toList());
    var deleted = join(kv.delete("sessions", "u/1", true, Consistency.ALL));
    assertEquals(1, deleted.deleted());
    assertEquals("one", deleted.prevKvs().getFirst().valueUtf8());
    assertEquals("key_not_found", error(kv.get("sessions", "u/1", Consistency.ONE)).code());
    assertEquals(1, join(kv.deletePrefix("sessions", "u/", false)).deleted());
    assertEquals(0, join(kv.range("sessions", RangeRequest.prefix("u/"))).count());
  }

  @Test
  void ttlExpiresApKeysAndIsRefusedOnCpKeyspaces() {
    join(kv.put("sessions", "t", bytes("x"), PutOptions.NONE, Consistency.ONE, 1));
    await(
        Duration.ofSeconds(5),
        () -> {
          try {
            join(kv.get("sessions", "t", Consistency.ONE));
            return false;
          } catch (KvException e) {
            return e.code().equals("key_not_found");
          }
        });
    assertEquals(
        "invalid_request",
        error(kv.put("default", "t", bytes("x"), PutOptions.NONE, null, 5)).code());
  }

  @Test
  void cpOnlyFeaturesFailWithNotSupportedInApMode() {
    TxnRequest txn =
        new TxnRequest(
            List.of(Compare.version("k", Compare.Op.EQUAL, 0)),
            List.of(new TxnOp.Put("k", bytes("v"), PutOptions.NONE)),
            List.of());
    KvException e = error(kv.txn("sessions", txn));
    assertEquals("not_supported_in_ap_mode", e.code());
    assertEquals(400, e.kind().httpStatus());
    assertTrue(e.getMessage().contains("CP keyspace"), e.getMessage());
    assertEquals(
        "not_supported_in_ap_mode",
        error(kv.put("sessions", "k", bytes("v"), PutOptions.withLease(7))).code());
    assertEquals("not_supported_in_ap_mode", error(kv.get("sessions", "k", 3)).code());
    assertEquals("not_supported_in_ap_mode", error(kv.resumeToken("sessions", List.of())).code());
    assertEquals(
        "invalid_consistency",
        assertThrowsKv(() -> Consistency.parse("most", Consistency.QUORUM)).code());
  }

  private static KvException assertThrowsKv(Runnable r) {
    try {
      r.run();
    } catch (KvException e) {
      return e;
    }
    throw new AssertionError("expected a KvException");
  }

  @Test
  void watchOnAnApKeyspaceSeesChanges() {
    Queue<WatchEvent> seen = new ConcurrentLinkedQueue<>();
    kv.watch("sessions", WatchRequest.prefix("w/")).runForeach(seen::add, kit.system());
    await(
        Duration.ofSeconds(10),
        () -> {
          join(kv.put("sessions", "w/1", "a"));
          return seen.stream()
              .anyMatch(e -> e.type() == WatchEvent.Type.PUT && e.kv().key().equals("w/1"));
        });
    join(kv.delete("sessions", "w/1", false));
    await(
        Duration.ofSeconds(5),
        () -> seen.stream().anyMatch(e -> e.type() == WatchEvent.Type.DELETE));
  }

  @Test
  void deletedApKeyspaceComesBackEmpty() {
    join(kv.createKeyspace("scratch", KeyspaceSpec.ap()));
    join(kv.put("scratch", "a", bytes("1"), PutOptions.NONE, Consistency.ALL, 0));
    assertEquals(1, join(kv.keyspaceStats("scratch")).keys());
    join(kv.deleteKeyspace("scratch"));
    assertEquals("keyspace_not_found", error(kv.get("scratch", "a", Consistency.ONE)).code());
    join(kv.createKeyspace("scratch", KeyspaceSpec.ap()));
    assertEquals("key_not_found", error(kv.get("scratch", "a", Consistency.ONE)).code());
  }
}
