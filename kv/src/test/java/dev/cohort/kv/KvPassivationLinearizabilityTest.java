package dev.cohort.kv;

import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.kv.LinearizabilityChecker.Kind;
import dev.cohort.kv.LinearizabilityChecker.Op;
import dev.cohort.kv.internal.KvPartition;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Concurrent clients put, get and compare-and-swap a few keys while their partitions are passivated
 * over and over (sharding stops the entity gracefully; the next command recovers it from the
 * journal); the recorded history of each key must be linearizable. Passivation is the only restart
 * here: nothing crashes and no process dies. The checker itself is shown to reject a history that
 * is not.
 */
class KvPassivationLinearizabilityTest {
  private static ActorTestKit kit;
  private static Kv kv;

  @BeforeAll
  static void start() {
    kit = KvTestSystems.cluster("KvPassivationLinearizabilityTest", "");
    kv = KvTestSystems.startKv(kit);
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private record Recorded(String key, Op op) {}

  @Test
  void historyRecordedWhilePartitionsArePassivatedIsLinearizable() throws Exception {
    KeyspaceInfo ks = join(kv.createKeyspace("lin", KeyspaceSpec.cp(2)));
    List<String> keys = List.of("a", "b", "c");
    List<Recorded> history = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger passivations = new AtomicInteger();
    int clients = 4;
    ExecutorService pool = Executors.newFixedThreadPool(clients + 1);
    try {
      CompletableFuture<Void> restarter =
          CompletableFuture.runAsync(
              () -> {
                while (running.get()) {
                  for (int p = 0; p < ks.partitions(); p++) {
                    ClusterSharding.get(kit.system())
                        .entityRefFor(
                            KvPartition.ENTITY_TYPE_KEY,
                            KvPartition.entityId(ks.name(), ks.incarnation(), ks.partitions(), p))
                        .tell(KvPartition.Passivate.INSTANCE);
                  }
                  passivations.incrementAndGet();
                  try {
                    Thread.sleep(25); // the passivation rhythm of the fault injector, not a wait
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              pool);
      List<CompletableFuture<Void>> done = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        int client = c;
        done.add(CompletableFuture.runAsync(() -> runClient(client, keys, history), pool));
      }
      CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get();
      running.set(false);
      restarter.get();
    } finally {
      pool.shutdownNow();
    }
    assertTrue(
        passivations.get() > 3, "partitions asked to passivate " + passivations.get() + " times");
    Map<String, List<Op>> byKey = new HashMap<>();
    history.forEach(r -> byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.op()));
    for (Map.Entry<String, List<Op>> e : byKey.entrySet()) {
      assertTrue(
          LinearizabilityChecker.linearizable(e.getValue()),
          "history of key " + e.getKey() + " is not linearizable: " + e.getValue());
    }
  }

  private static void runClient(int client, List<String> keys, List<Recorded> history) {
    Random random = new Random(client);
    Map<String, String> lastSeen = new HashMap<>();
    for (int i = 0; i < 30; i++) {
      String key = keys.get(random.nextInt(keys.size()));
      int kind = random.nextInt(10);
      long invoke = System.nanoTime();
      String value = "c" + client + "-" + i;
      try {
        if (kind < 4) {
          join(kv.put("lin", key, value));
          history.add(
              new Recorded(key, new Op(Kind.PUT, value, null, null, invoke, System.nanoTime())));
        } else if (kind < 7) {
          String observed;
          try {
            observed = join(kv.get("lin", key)).kv().valueUtf8();
          } catch (KvException e) {
            if (!e.code().equals("key_not_found")) {
              throw e;
            }
            observed = null;
          }
          lastSeen.put(key, observed);
          history.add(
              new Recorded(key, new Op(Kind.GET, null, null, observed, invoke, System.nanoTime())));
        } else {
          String expected = lastSeen.get(key);
          List<Compare> compare =
              expected == null
                  ? List.of(Compare.createRevision(key, Compare.Op.EQUAL, 0))
                  : List.of(Compare.value(key, Compare.Op.EQUAL, expected));
          boolean ok =
              join(kv.txn(
                      "lin",
                      new TxnRequest(compare, List.of(new TxnOp.Put(key, value)), List.of())))
                  .succeeded();
          history.add(
              new Recorded(
                  key,
                  new Op(
                      Kind.CAS, value, expected, Boolean.toString(ok), invoke, System.nanoTime())));
        }
      } catch (KvException e) {
        if (!e.code().equals("timeout")) {
          throw e;
        }
        // the outcome is unknown: it may have taken effect at any point after the invocation
        Kind k = kind < 4 ? Kind.PUT : kind < 7 ? Kind.GET : Kind.CAS;
        history.add(
            new Recorded(key, new Op(k, value, lastSeen.get(key), null, invoke, Long.MAX_VALUE)));
      }
    }
  }

  @Test
  void checkerRejectsAStaleRead() {
    List<Op> stale =
        List.of(
            new Op(Kind.PUT, "1", null, null, 0, 10),
            new Op(Kind.PUT, "2", null, null, 20, 30),
            new Op(Kind.GET, null, null, "1", 40, 50));
    assertFalse(LinearizabilityChecker.linearizable(stale));
  }

  @Test
  void checkerRejectsTwoWinningSwaps() {
    List<Op> doubleWin =
        List.of(
            new Op(Kind.PUT, "0", null, null, 0, 10),
            new Op(Kind.CAS, "a", "0", "true", 20, 40),
            new Op(Kind.CAS, "b", "0", "true", 25, 45),
            new Op(Kind.GET, null, null, "b", 50, 60));
    assertFalse(LinearizabilityChecker.linearizable(doubleWin));
  }

  @Test
  void checkerAcceptsOverlappingOperationsInEitherOrder() {
    List<Op> overlapping =
        List.of(
            new Op(Kind.PUT, "1", null, null, 0, 100),
            new Op(Kind.GET, null, null, null, 10, 20),
            new Op(Kind.GET, null, null, "1", 30, 40),
            new Op(Kind.PUT, "2", null, null, 50, Long.MAX_VALUE),
            new Op(Kind.GET, null, null, "1", 110, 120));
    assertTrue(LinearizabilityChecker.linearizable(overlapping));
  }
}
