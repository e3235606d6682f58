package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.cohort.kv.Compare;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.RangeRequest;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnRequest;
import dev.cohort.log.ProducerRecord;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.lock.LockGrpc;
import io.etcd.jetcd.api.lock.LockRequest;
import io.etcd.jetcd.api.lock.LockResponse;
import io.etcd.jetcd.api.lock.UnlockRequest;
import io.grpc.ManagedChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A node keeps serving while the embedding application holds every worker of {@code
 * ForkJoinPool.commonPool()} (one worker on a 2-core machine). Pekko's javadsl futures run every
 * plain continuation on the common pool, so an ask answer, a batch's completion or a read fence's
 * answer that went through it waited there: etcd puts to an embedded node hung until their ask
 * timeout while a client thread blocked on the common pool. With the answers taken off it ({@code
 * AskStages}), kv writes, reads and transactions, etcd calls (a contended lock included), HTTP
 * calls and log produce and fetch all answer while the pool is held.
 */
@Tag("integration")
class CommonPoolHeldTest {
  private static CohortNode node;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    node = Cohort.start(HttpTestClient.embeddedNode("cohort-common-pool").etcdPort(-1).build());
    channel = EtcdStubs.channel(node);
    // everything lazily created on first use is created before the pool is held, so that the
    // calls below are the steady-state paths
    await(node.kv().put("default", "warm", "up"));
    EtcdStubs.put(EtcdStubs.kv(channel), "warm", "up");
    await(node.log().createTopic("held", 1, Map.of()));
  }

  @AfterAll
  static void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (node != null) {
      node.close();
    }
  }

  private static LockGrpc.LockBlockingStub locks() {
    return LockGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  @Test
  void everyApiAnswersWhileTheApplicationHoldsEveryCommonPoolWorker() throws Exception {
    int workers = ForkJoinPool.getCommonPoolParallelism();
    CountDownLatch holding = new CountDownLatch(workers);
    CountDownLatch release = new CountDownLatch(1);
    for (int i = 0; i < workers; i++) {
      ForkJoinPool.commonPool()
          .execute(
              () -> {
                holding.countDown();
                try {
                  release.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
    }
    try {
      assertTrue(holding.await(20, TimeUnit.SECONDS), "the common pool's workers never started");

      byte[] one = "1".getBytes(StandardCharsets.UTF_8);
      long revision =
          await(node.kv().put("default", "held/a", one, PutOptions.NONE)).header().revision();
      assertEquals("1", await(node.kv().get("default", "held/a")).kv().valueUtf8());
      assertEquals(1, await(node.kv().range("default", RangeRequest.prefix("held/"))).kvs().size());
      assertTrue(
          await(
                  node.kv()
                      .txn(
                          "default",
                          new TxnRequest(
                              List.of(Compare.modRevision("held/a", Compare.Op.EQUAL, revision)),
                              List.of(new TxnOp.Put("held/b", one, PutOptions.NONE)),
                              List.of())))
              .succeeded());

      EtcdStubs.put(EtcdStubs.kv(channel), "held/etcd", "2");
      LeaseGrpc.LeaseBlockingStub leases = EtcdStubs.leases(channel);
      assertEquals(
          "2", EtcdStubs.get(EtcdStubs.kv(channel), "held/etcd").getValue().toStringUtf8());

      // a contended etcd lock: the second holder is let in by a watch of the first one's key
      long first = leases.leaseGrant(LeaseGrantRequest.newBuilder().setTTL(60).build()).getID();
      long second = leases.leaseGrant(LeaseGrantRequest.newBuilder().setTTL(60).build()).getID();
      ByteString held =
          locks()
              .lock(
                  LockRequest.newBuilder()
                      .setName(EtcdStubs.b("held-lock"))
                      .setLease(first)
                      .build())
              .getKey();
      ListenableFuture<LockResponse> waiting =
          LockGrpc.newFutureStub(channel)
              .withDeadlineAfter(20, TimeUnit.SECONDS)
              .lock(
                  LockRequest.newBuilder()
                      .setName(EtcdStubs.b("held-lock"))
                      .setLease(second)
                      .build());
      locks().unlock(UnlockRequest.newBuilder().setKey(held).build());
      assertTrue(
          waiting.get(20, TimeUnit.SECONDS).getKey().toStringUtf8().startsWith("held-lock/"));

      HttpTestClient http = new HttpTestClient(node);
      assertEquals(
          200, http.send("PUT", "/v1/kv/default/keys/held/http", "{\"value\":\"3\"}").statusCode());
      assertEquals(200, http.send("GET", "/v1/kv/default/keys/held/http", null).statusCode());

      long offset =
          await(node.log().send("held", List.of(ProducerRecord.of("held", "k", "v"))))
              .get(0)
              .offset();
      assertEquals(
          "v",
          new String(
              await(node.log().fetch("held", 0, offset)).records().get(0).value(),
              StandardCharsets.UTF_8));
    } finally {
      release.countDown();
    }
  }
}
