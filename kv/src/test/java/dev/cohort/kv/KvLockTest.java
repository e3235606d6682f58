package dev.cohort.kv;

import static dev.cohort.testkit.Await.await;
import static dev.cohort.testkit.Await.errorCode;
import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Locks and elections on leases and create revisions. */
@Tag("integration")
class KvLockTest {
  private static ActorTestKit kit;
  private static Kv kv;

  @BeforeAll
  static void start() {
    kit = KvTestSystems.cluster("KvLockTest", "cohort.kv.default-partitions = 8\n");
    kv = KvTestSystems.startKv(kit);
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void contendersLoseNoUpdateAndFencingTokensIncrease() throws Exception {
    join(kv.put("default", "counter", "0"));
    List<Long> tokens = Collections.synchronizedList(new ArrayList<>());
    int contenders = 4;
    int rounds = 5;
    ExecutorService pool = Executors.newFixedThreadPool(contenders);
    try {
      List<CompletableFuture<Void>> done = new ArrayList<>();
      for (int c = 0; c < contenders; c++) {
        done.add(
            CompletableFuture.runAsync(
                () -> {
                  for (int r = 0; r < rounds; r++) {
                    try (KvLock lock =
                        join(kv.lock("counter", Duration.ofSeconds(10), Duration.ofSeconds(20)))) {
                      tokens.add(lock.fencingToken());
                      int value =
                          Integer.parseInt(join(kv.get("default", "counter")).kv().valueUtf8());
                      join(kv.put("default", "counter", Integer.toString(value + 1)));
                    }
                  }
                },
                pool));
      }
      CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get();
    } finally {
      pool.shutdownNow();
    }
    assertEquals(
        contenders * rounds,
        Integer.parseInt(join(kv.get("default", "counter")).kv().valueUtf8()),
        "NoLostUpdate");
    for (int i = 1; i < tokens.size(); i++) {
      assertTrue(tokens.get(i) > tokens.get(i - 1), "FencingTokensIncrease: " + tokens);
    }
  }

  @Test
  void holderWhoseLeaseExpiresLosesTheLockToTheNextWaiter() {
    KvLock holder = join(kv.lock("expiring", Duration.ofSeconds(1), Duration.ofSeconds(1)));
    // the holder never keeps its lease alive: it behaves like a crashed process
    KvLock next = join(kv.lock("expiring", Duration.ofSeconds(30), Duration.ofSeconds(5)));
    assertTrue(next.fencingToken() > holder.fencingToken());
    assertEquals("key_not_found", errorCode(kv.get("default", holder.key())));
    next.close();
  }

  @Test
  void waiterTimesOutAndLeavesNoKey() {
    KvLock holder = join(kv.lock("busy", Duration.ofSeconds(30), Duration.ZERO));
    assertEquals(
        "lock_timeout", errorCode(kv.lock("busy", Duration.ofSeconds(30), Duration.ofMillis(300))));
    RangeResult queue = join(kv.range("default", RangeRequest.prefix("locks/{busy}/")));
    assertEquals(List.of(holder.key()), queue.kvs().stream().map(KeyValue::key).toList());
    join(kv.unlock("busy", holder.key()));
    assertEquals("lock_not_found", errorCode(kv.unlock("busy", holder.key())));
    try (KvLock again = join(kv.lock("busy", Duration.ofSeconds(30), Duration.ZERO))) {
      assertTrue(again.fencingToken() > holder.fencingToken());
    }
    assertEquals(
        "invalid_lock_name", errorCode(kv.lock("bad name", Duration.ofSeconds(5), Duration.ZERO)));
  }

  /** The source document's etcd lock (lease, then put only if createRevision == 0), in Java. */
  @Test
  void etcdStyleLockWithLeaseAndCreateRevisionCompare() {
    String lockKey = "/locks/my-resource";
    LeaseGrant lease = join(kv.grantLease(Duration.ofSeconds(10)));
    TxnRequest acquire =
        new TxnRequest(
            List.of(Compare.createRevision(lockKey, Compare.Op.EQUAL, 0)),
            List.of(
                new TxnOp.Put(
                    lockKey,
                    "locked".getBytes(StandardCharsets.UTF_8),
                    PutOptions.withLease(lease.id()))),
            List.of());
    assertTrue(join(kv.txn("default", acquire)).succeeded(), "lock acquired");
    LeaseGrant other = join(kv.grantLease(Duration.ofSeconds(10)));
    TxnRequest competitor =
        new TxnRequest(
            acquire.compare(),
            List.of(
                new TxnOp.Put(
                    lockKey,
                    "locked".getBytes(StandardCharsets.UTF_8),
                    PutOptions.withLease(other.id()))),
            List.of());
    assertTrue(!join(kv.txn("default", competitor)).succeeded(), "lock already held");
    join(kv.revokeLease(lease.id())); // release_lock: revoking the lease deletes the key
    assertTrue(join(kv.txn("default", competitor)).succeeded(), "free again after release");
    join(kv.revokeLease(other.id()));
  }

  @Test
  void electionCampaignProclaimResignObserve() {
    ConcurrentLinkedQueue<Leader> observed = new ConcurrentLinkedQueue<>();
    Leader a =
        join(
            kv.campaign(
                "e1", "a".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(30), Duration.ZERO));
    kv.observe("e1").runWith(Sink.foreach(observed::add), kit.system());
    assertEquals(a.key(), join(kv.leader("e1")).key());
    assertEquals(
        "election_timeout",
        errorCode(
            kv.campaign(
                "e1",
                "b".getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(30),
                Duration.ofMillis(200))));
    Leader a2 = join(kv.proclaim(a, "a2".getBytes(StandardCharsets.UTF_8)));
    assertEquals("a2", new String(join(kv.leader("e1")).value(), StandardCharsets.UTF_8));
    CompletableFuture<Leader> b =
        kv.campaign(
                "e1",
                "b".getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(30),
                Duration.ofSeconds(10))
            .toCompletableFuture();
    join(kv.resign(a2));
    Leader bLeader = join(b);
    assertTrue(bLeader.term() > a.term());
    assertEquals(
        "not_leader", errorCode(kv.proclaim(a2, "stale".getBytes(StandardCharsets.UTF_8))));
    await(
        Duration.ofSeconds(5),
        () -> observed.stream().anyMatch(l -> l.key().equals(bLeader.key())));
    List<String> values =
        observed.stream().map(l -> new String(l.value(), StandardCharsets.UTF_8)).toList();
    assertEquals(List.of("a", "a2", "b"), values);
    join(kv.resign(bLeader));
    assertEquals("no_leader", errorCode(kv.leader("e1")));
  }
}
