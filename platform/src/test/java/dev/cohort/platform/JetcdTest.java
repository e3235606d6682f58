package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.election.CampaignResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.lock.LockResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.grpc.stub.StreamObserver;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * io.etcd:jetcd-core against an embedded node's etcd listener: KV with transactions, a watch that
 * survives a node restart and resumes at the next revision (no gap, no duplicate), lease keepalive,
 * lock and election. The node keeps one data directory and etcd port across its restart.
 */
@Tag("integration")
class JetcdTest {
  private static CohortConfig config;
  private static CohortNode node;
  private static Client client;

  @BeforeAll
  static void start() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    config = HttpTestClient.embeddedNode("cohort-jetcd").etcdPort(port).build();
    node = Cohort.start(config);
    client = Client.builder().endpoints("http://127.0.0.1:" + port).build();
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (node != null) {
      node.close();
    }
  }

  private static ByteSequence b(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static String s(ByteSequence b) {
    return b.toString(StandardCharsets.UTF_8);
  }

  @Test
  void kvAndTxn() throws Exception {
    KV kv = client.getKVClient();
    long created =
        kv.put(b("j/acct/a"), b("100")).get(10, TimeUnit.SECONDS).getHeader().getRevision();
    kv.put(b("j/acct/b"), b("50")).get(10, TimeUnit.SECONDS);
    KeyValue a = kv.get(b("j/acct/a")).get(10, TimeUnit.SECONDS).getKvs().get(0);
    assertEquals(created, a.getCreateRevision());

    // a transfer guarded by the mod revision of the debited account
    TxnResponse moved =
        kv.txn()
            .If(new Cmp(b("j/acct/a"), Cmp.Op.EQUAL, CmpTarget.modRevision(a.getModRevision())))
            .Then(
                Op.put(b("j/acct/a"), b("90"), PutOption.DEFAULT),
                Op.put(b("j/acct/b"), b("60"), PutOption.DEFAULT))
            .Else(Op.get(b("j/acct/a"), GetOption.DEFAULT))
            .commit()
            .get(10, TimeUnit.SECONDS);
    assertTrue(moved.isSucceeded());
    assertEquals(2, moved.getPutResponses().size());
    TxnResponse stale =
        kv.txn()
            .If(new Cmp(b("j/acct/a"), Cmp.Op.EQUAL, CmpTarget.modRevision(a.getModRevision())))
            .Then(Op.put(b("j/acct/a"), b("0"), PutOption.DEFAULT))
            .Else(Op.get(b("j/acct/a"), GetOption.DEFAULT))
            .commit()
            .get(10, TimeUnit.SECONDS);
    assertFalse(stale.isSucceeded());
    assertEquals("90", s(stale.getGetResponses().get(0).getKvs().get(0).getValue()));
    List<KeyValue> all =
        kv.get(b("j/acct/"), GetOption.builder().isPrefix(true).build())
            .get(10, TimeUnit.SECONDS)
            .getKvs();
    assertEquals(List.of("90", "60"), all.stream().map(k -> s(k.getValue())).toList());
    assertEquals(moved.getHeader().getRevision(), all.get(0).getModRevision());
    assertEquals(
        all.get(0).getModRevision(), all.get(1).getModRevision(), "one transaction, one revision");
  }

  @Test
  void leaseKeepAlive() throws Exception {
    long lease = client.getLeaseClient().grant(2).get(10, TimeUnit.SECONDS).getID();
    client
        .getKVClient()
        .put(b("j/leased"), b("v"), PutOption.builder().withLeaseId(lease).build())
        .get(10, TimeUnit.SECONDS);
    BlockingQueue<LeaseKeepAliveResponse> answers = new LinkedBlockingQueue<>();
    try (var keepAlive =
        client
            .getLeaseClient()
            .keepAlive(
                lease,
                new StreamObserver<>() {
                  @Override
                  public void onNext(LeaseKeepAliveResponse value) {
                    answers.add(value);
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                })) {
      // kept alive for three times its TTL: the key must still be there
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
      int seen = 0;
      while (System.nanoTime() < until) {
        LeaseKeepAliveResponse r = answers.poll(until - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (r != null) {
          assertEquals(lease, r.getID());
          assertTrue(r.getTTL() > 0);
          seen++;
        }
      }
      assertTrue(seen >= 2, "keepalive answers: " + seen);
      assertEquals(1, client.getKVClient().get(b("j/leased")).get(10, TimeUnit.SECONDS).getCount());
    }
    client.getLeaseClient().revoke(lease).get(10, TimeUnit.SECONDS);
    assertEquals(0, client.getKVClient().get(b("j/leased")).get(10, TimeUnit.SECONDS).getCount());
  }

  @Test
  void lockAndElection() throws Exception {
    long first = client.getLeaseClient().grant(30).get(10, TimeUnit.SECONDS).getID();
    long second = client.getLeaseClient().grant(30).get(10, TimeUnit.SECONDS).getID();
    LockResponse held = client.getLockClient().lock(b("j/lock"), first).get(10, TimeUnit.SECONDS);
    CompletableFuture<LockResponse> waiting = client.getLockClient().lock(b("j/lock"), second);
    assertThrows(
        TimeoutException.class, () -> waiting.get(1, TimeUnit.SECONDS), "the second holder waits");
    client.getLockClient().unlock(held.getKey()).get(10, TimeUnit.SECONDS);
    LockResponse next = waiting.get(10, TimeUnit.SECONDS);
    assertNotEquals(s(held.getKey()), s(next.getKey()));
    client.getLockClient().unlock(next.getKey()).get(10, TimeUnit.SECONDS);

    CampaignResponse leader =
        client
            .getElectionClient()
            .campaign(b("j/elect"), first, b("one"))
            .get(10, TimeUnit.SECONDS);
    CompletableFuture<CampaignResponse> candidate =
        client.getElectionClient().campaign(b("j/elect"), second, b("two"));
    assertEquals(
        "one",
        s(
            client
                .getElectionClient()
                .leader(b("j/elect"))
                .get(10, TimeUnit.SECONDS)
                .getKv()
                .getValue()));
    client.getElectionClient().proclaim(leader.getLeader(), b("one-b")).get(10, TimeUnit.SECONDS);
    assertEquals(
        "one-b",
        s(
            client
                .getElectionClient()
                .leader(b("j/elect"))
                .get(10, TimeUnit.SECONDS)
                .getKv()
                .getValue()));
    assertThrows(
        TimeoutException.class, () -> candidate.get(1, TimeUnit.SECONDS), "one leader at a time");
    client.getLeaseClient().revoke(first).get(10, TimeUnit.SECONDS); // the leader's lease ends
    CampaignResponse takeover = candidate.get(10, TimeUnit.SECONDS);
    assertTrue(
        takeover.getLeader().getRevision() > leader.getLeader().getRevision(), "terms increase");
    assertEquals(
        "two",
        s(
            client
                .getElectionClient()
                .leader(b("j/elect"))
                .get(10, TimeUnit.SECONDS)
                .getKv()
                .getValue()));
    client.getLeaseClient().revoke(second).get(10, TimeUnit.SECONDS);
  }

  /**
   * The leader election controllers build on etcd: each candidate holds a lease, the first to
   * create the leader key in a transaction (compare create revision = 0) leads, and every write it
   * makes is fenced by a compare on its key's create revision. When the leader stops renewing, its
   * lease ends, the key goes, a waiting candidate wins, and the old leader's fenced write fails.
   */
  @Test
  void controllerLeaderElectionRecipe() throws Exception {
    ByteSequence leaderKey = b("j/controller/leader");
    KV kv = client.getKVClient();
    List<Long> leases = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      leases.add(client.getLeaseClient().grant(2).get(10, TimeUnit.SECONDS).getID());
    }
    List<CompletableFuture<TxnResponse>> attempts = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      attempts.add(acquire(leaderKey, "candidate-" + i, leases.get(i)));
    }
    int first = winner(attempts);
    long firstTerm =
        kv.get(leaderKey).get(10, TimeUnit.SECONDS).getKvs().get(0).getCreateRevision();
    assertTrue(fencedWrite(leaderKey, firstTerm, "by-" + first).isSucceeded());

    // the others renew their leases and wait for the key to go; the leader stops renewing
    BlockingQueue<WatchEvent> deletions = new LinkedBlockingQueue<>();
    try (var watcher =
        client
            .getWatchClient()
            .watch(
                leaderKey,
                WatchOption.builder().withNoPut(true).build(),
                r -> deletions.addAll(r.getEvents()))) {
      WatchEvent gone = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (gone == null && System.nanoTime() < deadline) {
        for (int i = 0; i < 3; i++) {
          if (i != first) {
            client.getLeaseClient().keepAliveOnce(leases.get(i)).get(10, TimeUnit.SECONDS);
          }
        }
        gone = deletions.poll(500, TimeUnit.MILLISECONDS);
      }
      assertTrue(
          gone != null && gone.getEventType() == WatchEvent.EventType.DELETE,
          "the leader's lease ended");
    }
    List<CompletableFuture<TxnResponse>> retries = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      retries.add(
          i == first
              ? CompletableFuture.completedFuture(null)
              : acquire(leaderKey, "candidate-" + i, leases.get(i)));
    }
    int second = winner(retries);
    assertNotEquals(first, second);
    long secondTerm =
        kv.get(leaderKey).get(10, TimeUnit.SECONDS).getKvs().get(0).getCreateRevision();
    assertTrue(secondTerm > firstTerm, "terms increase");
    assertFalse(
        fencedWrite(leaderKey, firstTerm, "stale").isSucceeded(), "the old leader is fenced off");
    assertTrue(fencedWrite(leaderKey, secondTerm, "by-" + second).isSucceeded());
    assertEquals(
        "by-" + second,
        s(kv.get(b("j/controller/state")).get(10, TimeUnit.SECONDS).getKvs().get(0).getValue()));
  }

  private static CompletableFuture<TxnResponse> acquire(ByteSequence key, String who, long lease) {
    return client
        .getKVClient()
        .txn()
        .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
        .Then(Op.put(key, b(who), PutOption.builder().withLeaseId(lease).build()))
        .Else(Op.get(key, GetOption.DEFAULT))
        .commit();
  }

  /** The index of the one attempt that succeeded (null entries did not take part). */
  private static int winner(List<CompletableFuture<TxnResponse>> attempts) throws Exception {
    int winner = -1;
    for (int i = 0; i < attempts.size(); i++) {
      TxnResponse r = attempts.get(i).get(10, TimeUnit.SECONDS);
      if (r != null && r.isSucceeded()) {
        assertEquals(-1, winner, "two candidates won the same term");
        winner = i;
      }
    }
    assertNotEquals(-1, winner, "nobody won");
    return winner;
  }

  private static TxnResponse fencedWrite(ByteSequence leaderKey, long term, String value)
      throws Exception {
    return client
        .getKVClient()
        .txn()
        .If(new Cmp(leaderKey, Cmp.Op.EQUAL, CmpTarget.createRevision(term)))
        .Then(Op.put(b("j/controller/state"), b(value), PutOption.DEFAULT))
        .commit()
        .get(10, TimeUnit.SECONDS);
  }

  /** Restarts the node (same data directory and port); it serves the other tests again after. */
  @Test
  void watchResumesAcrossNodeRestart() throws Exception {
    KV kv = client.getKVClient();
    long start = kv.put(b("j/w/1"), b("a")).get(10, TimeUnit.SECONDS).getHeader().getRevision();
    kv.put(b("j/w/2"), b("b")).get(10, TimeUnit.SECONDS);
    BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
    try (var watcher =
        client
            .getWatchClient()
            .watch(
                b("j/w/"),
                WatchOption.builder().isPrefix(true).withRevision(start).build(),
                r -> events.addAll(r.getEvents()))) {
      assertEquals(List.of("1", "2"), keys(events, 2));
      node.close();
      node = Cohort.start(config);
      // the client reconnects by itself and resumes after the last revision it saw
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        try {
          kv.put(b("j/w/3"), b("c")).get(10, TimeUnit.SECONDS);
          break;
        } catch (Exception retry) {
          if (System.nanoTime() > deadline) {
            throw retry;
          }
        }
      }
      kv.put(b("j/w/4"), b("d")).get(10, TimeUnit.SECONDS);
      assertEquals(List.of("3", "4"), keys(events, 2));
      assertNull(events.poll(1, TimeUnit.SECONDS), "no duplicate after the resume");
    }
  }

  private static List<String> keys(BlockingQueue<WatchEvent> events, int n)
      throws InterruptedException {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      WatchEvent e = events.poll(30, TimeUnit.SECONDS);
      if (e == null) {
        throw new AssertionError("expected " + n + " events, got " + keys);
      }
      keys.add(s(e.getKeyValue().getKey()).substring("j/w/".length()));
    }
    return keys;
  }
}
