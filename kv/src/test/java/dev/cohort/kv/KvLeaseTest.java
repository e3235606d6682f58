package dev.cohort.kv;

import static dev.cohort.testkit.Await.await;
import static dev.cohort.testkit.Await.errorCode;
import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Leases: expiry and revocation delete attached keys (watchers see it), keepalive extends. */
@Tag("integration")
class KvLeaseTest {
  private static ActorTestKit kit;
  private static Kv kv;

  @BeforeAll
  static void start() {
    kit = KvTestSystems.cluster("KvLeaseTest", "cohort.kv.default-partitions = 8\n");
    kv = KvTestSystems.startKv(kit);
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static PutOptions lease(long id) {
    return PutOptions.withLease(id);
  }

  private static byte[] v(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static boolean gone(String key) {
    try {
      join(kv.get("default", key));
      return false;
    } catch (KvException e) {
      assertEquals("key_not_found", e.code());
      return true;
    }
  }

  /**
   * A lease id chosen by the client (etcd's LeaseGrant with an ID) is granted as asked, answered
   * lease_exists while it lives and for lease.revoked-retention after its revocation, usable like
   * any lease, and the lessor's own ids never land on it.
   */
  @Test
  void aClientChosenLeaseIdIsGrantedOnceAndNeverReusedByTheLessor() {
    int lessors = KvSettings.create(kit.system().settings().config()).lessors();
    long chosen = 7_000_000_000L * lessors + 1;
    LeaseGrant grant = join(kv.grantLease(chosen, Duration.ofSeconds(30)));
    assertEquals(chosen, grant.id());
    assertEquals(30, grant.ttlSeconds());
    assertEquals("lease_exists", errorCode(kv.grantLease(chosen, Duration.ofSeconds(5))));
    assertEquals(
        30, join(kv.lease(chosen)).grantedTtlSeconds(), "the refused grant changed nothing");
    assertEquals("invalid_request", errorCode(kv.grantLease(-5, Duration.ofSeconds(5))));
    join(kv.put("default", "chosen/a", v("x"), lease(chosen)));
    join(kv.keepAlive(chosen));
    // the lessor's sequence is not moved by a chosen id: its next ids are small, none is ours
    for (int i = 0; i < 8 * lessors; i++) {
      long id = join(kv.grantLease(Duration.ofSeconds(5))).id();
      assertTrue(id != chosen && id < 1_000_000, "lessor id " + id);
    }
    join(kv.revokeLease(chosen));
    assertTrue(gone("chosen/a"));
    // partitions refuse puts naming a revoked lease for lease.revoked-retention: no new grant yet
    assertEquals("lease_exists", errorCode(kv.grantLease(chosen, Duration.ofSeconds(5))));
    assertEquals(
        "lease_not_found", errorCode(kv.put("default", "chosen/b", v("x"), lease(chosen))));
  }

  @Test
  void expiryDeletesAttachedKeysWithinTtlPlusOneSecond() {
    ConcurrentLinkedQueue<WatchEvent> seen = new ConcurrentLinkedQueue<>();
    // Established before the keys exist: their expiry deletes are all in the stream.
    join(
        kv.watch("default", WatchRequest.prefix("exp/"))
            .toMat(Sink.foreach(seen::add), Keep.left())
            .run(kit.system()));
    long granted = System.nanoTime();
    LeaseGrant grant = join(kv.grantLease(Duration.ofSeconds(1)));
    for (String key : List.of("exp/a", "exp/b", "exp/c")) {
      join(kv.put("default", key, v("x"), lease(grant.id())));
    }
    join(kv.put("default", "exp/kept", "no lease"));
    LeaseInfo info = join(kv.lease(grant.id()));
    assertEquals(
        Set.of("exp/a", "exp/b", "exp/c"),
        info.keys().stream().map(LeaseInfo.LeaseKey::key).collect(Collectors.toSet()));

    await(Duration.ofSeconds(5), () -> gone("exp/a") && gone("exp/b") && gone("exp/c"));
    long elapsedMs = (System.nanoTime() - granted) / 1_000_000;
    assertTrue(elapsedMs <= 2_000, "keys deleted " + elapsedMs + " ms after grant; TTL 1 s + 1 s");
    assertEquals("no lease", join(kv.get("default", "exp/kept")).kv().valueUtf8());
    assertEquals("lease_not_found", errorCode(kv.keepAlive(grant.id())));
    assertEquals(
        "lease_not_found", errorCode(kv.put("default", "exp/late", v("x"), lease(grant.id()))));
    await(
        Duration.ofSeconds(5),
        () -> seen.stream().filter(e -> e.type() == WatchEvent.Type.DELETE).count() == 3);
  }

  /**
   * The list (etcd's LeaseLeases) asks every lessor: one chosen lease on each lessor and some the
   * service chose are all listed, ascending; a revoked and an expired lease are not.
   */
  @Test
  void listNamesEveryLiveLeaseOfEveryLessorAndNoRevokedOrExpiredOne() {
    int lessors = KvSettings.create(kit.system().settings().config()).lessors();
    List<Long> granted = new java.util.ArrayList<>();
    for (int lessor = 0; lessor < lessors; lessor++) {
      granted.add(
          join(kv.grantLease(9_000_000_000L * lessors + lessor, Duration.ofSeconds(60))).id());
    }
    for (int i = 0; i < 3; i++) {
      granted.add(join(kv.grantLease(Duration.ofSeconds(60))).id());
    }
    long revoked = join(kv.grantLease(Duration.ofSeconds(60))).id();
    long expiring = join(kv.grantLease(Duration.ofSeconds(1))).id();

    List<Long> listed = join(kv.leases());
    assertTrue(listed.containsAll(granted), listed + " lacks some of " + granted);
    assertTrue(listed.contains(revoked) && listed.contains(expiring), listed.toString());
    assertEquals(listed.stream().sorted().toList(), listed, "ascending");

    join(kv.revokeLease(revoked));
    assertTrue(!join(kv.leases()).contains(revoked), "a revoked lease is listed");
    await(Duration.ofSeconds(5), () -> !join(kv.leases()).contains(expiring));
    assertTrue(join(kv.leases()).containsAll(granted));
    for (long id : granted) {
      join(kv.revokeLease(id));
    }
  }

  @Test
  void revokeDeletesKeysBeforeItCompletes() {
    LeaseGrant grant = join(kv.grantLease(Duration.ofSeconds(60)));
    join(kv.put("default", "rev/a", v("1"), lease(grant.id())));
    join(kv.put("default", "rev/b", v("2"), lease(grant.id())));
    join(kv.revokeLease(grant.id()));
    assertTrue(gone("rev/a") && gone("rev/b"));
    assertEquals("lease_not_found", errorCode(kv.lease(grant.id())));
    assertEquals("lease_not_found", errorCode(kv.revokeLease(12345)));
    assertEquals("invalid_ttl", errorCode(kv.grantLease(Duration.ofMillis(1500))));
  }

  @Test
  void keepAliveExtendsAndIgnoreLeaseKeepsIt() throws InterruptedException {
    LeaseGrant grant = join(kv.grantLease(Duration.ofSeconds(1)));
    join(kv.put("default", "ka/a", v("1"), lease(grant.id())));
    join(kv.put("default", "ka/a", v("2"), new PutOptions(0, false, true)));
    assertEquals(grant.id(), join(kv.get("default", "ka/a")).kv().lease());
    long end = System.nanoTime() + Duration.ofMillis(2_200).toNanos();
    while (System.nanoTime() < end) {
      LeaseInfo renewed = join(kv.keepAlive(grant.id()));
      assertTrue(renewed.remainingMillis() > 700, "renewed to " + renewed.remainingMillis());
      Thread.sleep(300); // paces the client's keepalives; not a wait for a condition
    }
    assertEquals("2", join(kv.get("default", "ka/a")).kv().valueUtf8());
    await(Duration.ofSeconds(3), () -> gone("ka/a"));
  }
}
