package dev.cohort.kv;

import static dev.cohort.testkit.Await.await;
import static dev.cohort.testkit.Await.errorCode;
import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.kv.internal.Keys;
import dev.cohort.kv.internal.KvPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Cross-partition transactions (two-phase commit) through the embedded API, and the partition's
 * side of the protocol driven directly: locks while prepared, presumed abort.
 */
@Tag("integration")
class KvTwoPhaseTest {
  private static final int PARTITIONS = 8;
  private static final Duration LOCK_WAIT = Duration.ofMillis(500);
  private static final Duration PREPARE_TIMEOUT = Duration.ofSeconds(3);
  private static ActorTestKit kit;
  private static Kv kv;
  private static KeyspaceInfo bank;

  @BeforeAll
  static void start() {
    kit =
        KvTestSystems.cluster(
            "KvTwoPhaseTest",
            """
        cohort.kv.txn.lock-wait = %dms
        cohort.kv.txn.prepare-timeout = %dms
        cohort.kv.txn.retry-interval = 200ms
        """
                .formatted(LOCK_WAIT.toMillis(), PREPARE_TIMEOUT.toMillis()));
    kv = KvTestSystems.startKv(kit);
    bank = join(kv.createKeyspace("bank", KeyspaceSpec.cp(PARTITIONS)));
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  /** {@code count} keys named {@code prefix + n}, each in a different partition. */
  private static List<String> keysInDistinctPartitions(String prefix, int count) {
    List<String> keys = new ArrayList<>();
    boolean[] used = new boolean[PARTITIONS];
    for (int n = 0; keys.size() < count; n++) {
      int p = Keys.partitionOf(prefix + n, PARTITIONS);
      if (!used[p]) {
        used[p] = true;
        keys.add(prefix + n);
      }
    }
    return keys;
  }

  private static EntityRef<KvPartition.Command> partitionOf(String key) {
    return ClusterSharding.get(kit.system())
        .entityRefFor(
            KvPartition.ENTITY_TYPE_KEY,
            KvPartition.entityId(
                bank.name(), bank.incarnation(), PARTITIONS, Keys.partitionOf(key, PARTITIONS)));
  }

  private static String value(String key) {
    return join(kv.get("bank", key)).kv().valueUtf8();
  }

  @Test
  void resultHasTheSingleTxnShapeAndComparesOnAnyPartitionPickTheBranch() {
    List<String> k = keysInDistinctPartitions("shape/", 3);
    join(kv.put("bank", k.get(0), "0"));
    TxnRequest swap =
        new TxnRequest(
            List.of(
                Compare.value(k.get(0), Compare.Op.EQUAL, "0"),
                Compare.createRevision(k.get(1), Compare.Op.EQUAL, 0)),
            List.of(
                new TxnOp.Put(k.get(1), "b"),
                new TxnOp.Get(k.get(0)),
                new TxnOp.Put(k.get(2), "c")),
            List.of(new TxnOp.Get(k.get(2)), new TxnOp.Delete(k.get(0), true)));
    TxnResult first = join(kv.txn("bank", swap));
    assertTrue(first.succeeded());
    assertEquals(3, first.responses().size());
    assertInstanceOf(TxnOpResult.Put.class, first.responses().get(0));
    assertEquals("0", ((TxnOpResult.Get) first.responses().get(1)).kv().orElseThrow().valueUtf8());
    assertEquals(3, first.headers().size());
    assertEquals(first.headers().getFirst(), first.header());
    assertEquals("b", value(k.get(1)));
    assertEquals("c", value(k.get(2)));

    // Now k1 exists: the compare on its partition fails, so every partition runs the failure ops.
    TxnResult second = join(kv.txn("bank", swap));
    assertFalse(second.succeeded());
    assertEquals(2, second.responses().size());
    assertEquals("c", ((TxnOpResult.Get) second.responses().get(0)).kv().orElseThrow().valueUtf8());
    TxnOpResult.Delete deleted = (TxnOpResult.Delete) second.responses().get(1);
    assertEquals(1, deleted.deleted());
    assertEquals("0", deleted.prevKvs().getFirst().valueUtf8());
    assertEquals("key_not_found", errorCode(kv.get("bank", k.get(0))));
    assertEquals("b", value(k.get(1)));
  }

  @Test
  void aBranchOnePartitionRefusesChangesNothingAnywhere() {
    List<String> k = keysInDistinctPartitions("refuse/", 2);
    TxnRequest txn =
        new TxnRequest(
            List.of(),
            List.of(
                new TxnOp.Put(k.get(0), "x"),
                new TxnOp.Put(k.get(1), "y".getBytes(), new PutOptions(0, false, true))),
            List.of());
    assertEquals("key_not_found", errorCode(kv.txn("bank", txn)));
    assertEquals("key_not_found", errorCode(kv.get("bank", k.get(0))));
    // and the locks of the aborted prepare are gone
    join(kv.put("bank", k.get(0), "free"));
    join(kv.put("bank", k.get(1), "free"));
  }

  /**
   * ConservationOfMoney: concurrent transfers between accounts in different partitions, each a
   * compare-and-swap on both balances, while partitions are restarted at random. Every transfer is
   * all or nothing and two transfers that read the same balances never both commit, so the total
   * never changes and the balances are exactly the committed transfers applied.
   */
  @Test
  void transfersAreAllOrNothingUnderRestartsAndConflicts() throws Exception {
    List<String> accounts = keysInDistinctPartitions("acct/", 5);
    for (String a : accounts) {
      join(kv.put("bank", a, "100"));
    }
    Random random = new Random(42);
    AtomicInteger committed = new AtomicInteger();
    AtomicInteger conflicts = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    int[] expected = new int[accounts.size()];
    java.util.Arrays.fill(expected, 100);
    Object model = new Object();
    List<CompletableFuture<Void>> clients = new ArrayList<>();
    for (int c = 0; c < 4; c++) {
      long seed = random.nextLong();
      clients.add(
          CompletableFuture.runAsync(
              () -> {
                Random r = new Random(seed);
                for (int i = 0; i < 25; i++) {
                  int from = r.nextInt(accounts.size());
                  int to = (from + 1 + r.nextInt(accounts.size() - 1)) % accounts.size();
                  int amount = 1 + r.nextInt(10);
                  if (r.nextInt(8) == 0) {
                    partitionOf(accounts.get(r.nextInt(accounts.size())))
                        .tell(KvPartition.Passivate.INSTANCE);
                  }
                  try {
                    KeyValue a = join(kv.get("bank", accounts.get(from))).kv();
                    KeyValue b = join(kv.get("bank", accounts.get(to))).kv();
                    // Every fifth transfer compares a stale revision on purpose: it must take the
                    // failure branch, which writes nothing.
                    long staleA = r.nextInt(5) == 0 ? a.modRevision() - 1 : a.modRevision();
                    TxnResult result =
                        join(
                            kv.txn(
                                "bank",
                                new TxnRequest(
                                    List.of(
                                        Compare.modRevision(
                                            accounts.get(from), Compare.Op.EQUAL, staleA),
                                        Compare.modRevision(
                                            accounts.get(to), Compare.Op.EQUAL, b.modRevision())),
                                    List.of(
                                        new TxnOp.Put(
                                            accounts.get(from),
                                            Integer.toString(
                                                Integer.parseInt(a.valueUtf8()) - amount)),
                                        new TxnOp.Put(
                                            accounts.get(to),
                                            Integer.toString(
                                                Integer.parseInt(b.valueUtf8()) + amount))),
                                    List.of(new TxnOp.Get(accounts.get(from))))));
                    if (result.succeeded()) {
                      committed.incrementAndGet();
                      synchronized (model) {
                        expected[from] -= amount;
                        expected[to] += amount;
                      }
                    } else {
                      conflicts.incrementAndGet();
                    }
                  } catch (KvException e) {
                    // key_locked and timeouts under restarts: the outcome is all or nothing either
                    // way;
                    // a timeout's outcome is unknown to the client, so the model cannot count it.
                    if (e.code().equals("timeout")) {
                      throw e;
                    }
                    failed.incrementAndGet();
                  }
                }
              }));
    }
    for (CompletableFuture<Void> client : clients) {
      client.get(50, java.util.concurrent.TimeUnit.SECONDS);
    }
    int total = 0;
    for (int i = 0; i < accounts.size(); i++) {
      int balance = Integer.parseInt(value(accounts.get(i)));
      total += balance;
      assertEquals(expected[i], balance, "balance of " + accounts.get(i));
    }
    assertEquals(100 * accounts.size(), total);
    assertTrue(
        committed.get() > 10,
        "committed " + committed + ", conflicts " + conflicts + ", failed " + failed);
    assertTrue(conflicts.get() > 0, "no transfer took the failure branch");
  }

  @Test
  void writesToAPreparedKeyWaitThenFailWithKeyLocked() {
    String key = "locked/a";
    join(kv.put("bank", key, "before"));
    TestProbe<KvPartition.Reply> probe = kit.createTestProbe();
    TxnRequest share =
        new TxnRequest(
            List.of(Compare.value(key, Compare.Op.EQUAL, "before")),
            List.of(new TxnOp.Put(key, "after")),
            List.of());
    partitionOf(key).tell(new KvPartition.Prepare("held-1", share, probe.getRef()));
    KvPartition.Vote vote = probe.expectMessageClass(KvPartition.Vote.class);
    assertTrue(vote.comparesHold());

    long start = System.nanoTime();
    assertEquals("key_locked", errorCode(kv.put("bank", key, "other")));
    assertTrue(
        Duration.ofNanos(System.nanoTime() - start).compareTo(LOCK_WAIT) >= 0,
        "failed before lock-wait");
    assertEquals("key_locked", errorCode(kv.delete("bank", key, false)));
    // reads serve the last committed value
    assertEquals("before", value(key));

    // a write waiting on the lock proceeds once the transaction commits
    CompletionStage<PutResult> waiting = kv.put("bank", key, "later");
    partitionOf(key).tell(new KvPartition.Commit("held-1", true, probe.getRef()));
    KvPartition.TxnDone done = probe.expectMessageClass(KvPartition.TxnDone.class);
    assertTrue(done.committed());
    join(waiting);
    assertEquals("later", value(key));
  }

  @Test
  void aPreparedTransactionWhoseCoordinatorNeverDecidedIsAbortedByAsking() {
    String key = "orphan/a";
    join(kv.put("bank", key, "kept"));
    TestProbe<KvPartition.Reply> probe = kit.createTestProbe();
    // No coordinator ever started "orphan-1": as after a coordinator crash before its decision.
    partitionOf(key)
        .tell(
            new KvPartition.Prepare(
                "orphan-1",
                new TxnRequest(List.of(), List.of(new TxnOp.Put(key, "lost")), List.of()),
                probe.getRef()));
    probe.expectMessageClass(KvPartition.Vote.class);
    assertEquals("key_locked", errorCode(kv.put("bank", key, "blocked")));
    // after prepare-timeout the partition asks; the coordinator presumes abort
    await(
        PREPARE_TIMEOUT.multipliedBy(10),
        () -> {
          try {
            join(kv.put("bank", key, "free"));
            return true;
          } catch (KvException e) {
            assertEquals("key_locked", e.code());
            return false;
          }
        });
    assertEquals("free", value(key));
    // a prepare arriving after the abort is refused, so it cannot lock again
    partitionOf(key)
        .tell(
            new KvPartition.Prepare(
                "orphan-1",
                new TxnRequest(List.of(), List.of(new TxnOp.Put(key, "lost")), List.of()),
                probe.getRef()));
    KvPartition.Rejected late = probe.expectMessageClass(KvPartition.Rejected.class);
    assertEquals("txn_finished", late.rejection().code());
  }

  @Test
  void aPreparedPartitionKeepsItsLocksAcrossARestart() {
    String key = "restart/a";
    join(kv.put("bank", key, "v1"));
    TestProbe<KvPartition.Reply> probe = kit.createTestProbe();
    partitionOf(key)
        .tell(
            new KvPartition.Prepare(
                "restart-1",
                new TxnRequest(List.of(), List.of(new TxnOp.Put(key, "v2")), List.of()),
                probe.getRef()));
    probe.expectMessageClass(KvPartition.Vote.class);
    partitionOf(key).tell(KvPartition.Passivate.INSTANCE);
    // recovered from the journal: still locked, and the commit still applies the prepared op
    assertEquals("key_locked", errorCode(kv.put("bank", key, "other")));
    assertEquals("v1", value(key));
    partitionOf(key).tell(new KvPartition.Commit("restart-1", true, probe.getRef()));
    assertTrue(probe.expectMessageClass(KvPartition.TxnDone.class).committed());
    assertEquals("v2", value(key));
  }
}
