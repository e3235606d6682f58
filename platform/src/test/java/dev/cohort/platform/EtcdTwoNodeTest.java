package dev.cohort.platform;

import static dev.cohort.platform.HttpTestClient.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.ClusterGrpc;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Any node's etcd listener serves any request: two embedded nodes of one cluster (PostgreSQL
 * journal, as {@code conf/cluster-node.conf}), each with its own listener on a free port. The etcd
 * keyspace's one partition lives on one of them; a request to the other routes through sharding, as
 * on HTTP. A put through A is read through B (same value, same revision), a put through B is read
 * through A, a watch opened on B sees a put (and a transaction) made through A, and B's MemberList
 * names both listeners.
 */
@Tag("integration")
class EtcdTwoNodeTest {
  private static CohortNode a;
  private static CohortNode b;
  private static ManagedChannel toA;
  private static ManagedChannel toB;
  // The PostgreSQL database outlives a run: keys of this run are under a prefix of their own.
  private static final String PREFIX = "two/" + System.nanoTime() + "/";

  @BeforeAll
  static void start() throws Exception {
    int seedPort = NodeProcess.freePort();
    a = Cohort.start(node("etcd-two-a", seedPort, seedPort).build());
    b = Cohort.start(node("etcd-two-b", 0, seedPort).build());
    HttpTestClient http = new HttpTestClient(a);
    dev.cohort.testkit.Await.await(
        Duration.ofSeconds(60),
        () -> {
          try {
            int up = 0;
            for (JsonNode m : ok(http.send("GET", "/v1/cluster", null)).get("members")) {
              up += m.get("status").asText().equals("Up") ? 1 : 0;
            }
            return up == 2;
          } catch (Exception e) {
            return false;
          }
        });
    toA = channel(a);
    toB = channel(b);
  }

  private static CohortConfig.Builder node(String name, int remotePort, int seedPort)
      throws IOException {
    return HttpTestClient.embeddedNode("cohort-" + name)
        .configFile(NodeProcess.repositoryRoot().resolve("conf/cluster-node.conf"))
        .remotePort(remotePort)
        .seed("127.0.0.1:" + seedPort)
        .etcdPort(-1)
        .override("pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on");
  }

  private static ManagedChannel channel(CohortNode node) {
    return NettyChannelBuilder.forAddress("127.0.0.1", node.etcdAddress().orElseThrow().getPort())
        .usePlaintext()
        .build();
  }

  @AfterAll
  static void stop() {
    for (ManagedChannel c : new ManagedChannel[] {toA, toB}) {
      if (c != null) {
        c.shutdownNow();
      }
    }
    if (b != null) {
      b.close();
    }
    if (a != null) {
      a.close();
    }
  }

  private static KVGrpc.KVBlockingStub kv(ManagedChannel c) {
    return KVGrpc.newBlockingStub(c).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static long put(ManagedChannel c, String key, String value) {
    return kv(c)
        .put(PutRequest.newBuilder().setKey(bytes(PREFIX + key)).setValue(bytes(value)).build())
        .getHeader()
        .getRevision();
  }

  private static KeyValue get(ManagedChannel c, String key) {
    List<KeyValue> kvs =
        kv(c).range(RangeRequest.newBuilder().setKey(bytes(PREFIX + key)).build()).getKvsList();
    return kvs.isEmpty() ? null : kvs.get(0);
  }

  @Test
  void aPutThroughOneNodeIsReadThroughTheOther() {
    long written = put(toA, "k", "from-a");
    KeyValue seen = get(toB, "k");
    assertEquals("from-a", seen.getValue().toStringUtf8());
    assertEquals(written, seen.getModRevision(), "one store revision, whichever node answers");

    long again = put(toB, "k", "from-b");
    assertTrue(again > written);
    KeyValue back = get(toA, "k");
    assertEquals("from-b", back.getValue().toStringUtf8());
    assertEquals(again, back.getModRevision());
    assertEquals(2, back.getVersion());
  }

  @Test
  void aWatchOnOneNodeSeesWritesThroughTheOther() throws Exception {
    BlockingQueue<WatchResponse> answers = new LinkedBlockingQueue<>();
    StreamObserver<WatchRequest> requests =
        WatchGrpc.newStub(toB)
            .watch(
                new StreamObserver<>() {
                  @Override
                  public void onNext(WatchResponse value) {
                    answers.add(value);
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                });
    String watched = PREFIX + "w/";
    requests.onNext(
        WatchRequest.newBuilder()
            .setCreateRequest(
                WatchCreateRequest.newBuilder()
                    .setKey(bytes(watched))
                    .setRangeEnd(bytes(PREFIX + "w0")))
            .build());
    assertTrue(next(answers).getCreated());

    long revision = put(toA, "w/one", "1");
    WatchResponse first = next(answers);
    assertEquals(PREFIX + "w/one", first.getEvents(0).getKv().getKey().toStringUtf8());
    assertEquals("1", first.getEvents(0).getKv().getValue().toStringUtf8());
    assertEquals(revision, first.getEvents(0).getKv().getModRevision());

    // a transaction through A: both its keys in one answer, at one revision
    kv(toA)
        .txn(
            TxnRequest.newBuilder()
                .addSuccess(
                    io.etcd.jetcd.api.RequestOp.newBuilder()
                        .setRequestPut(
                            PutRequest.newBuilder()
                                .setKey(bytes(PREFIX + "w/two"))
                                .setValue(bytes("2"))))
                .addSuccess(
                    io.etcd.jetcd.api.RequestOp.newBuilder()
                        .setRequestPut(
                            PutRequest.newBuilder()
                                .setKey(bytes(PREFIX + "w/three"))
                                .setValue(bytes("3"))))
                .build());
    WatchResponse txn = next(answers);
    assertEquals(2, txn.getEventsCount(), txn.toString());
    assertEquals(
        txn.getEvents(0).getKv().getModRevision(), txn.getEvents(1).getKv().getModRevision());
    requests.onCompleted();
  }

  @Test
  void eachNodesMemberListNamesBothListeners() {
    var members =
        ClusterGrpc.newBlockingStub(toB)
            .withDeadlineAfter(60, TimeUnit.SECONDS)
            .memberList(MemberListRequest.getDefaultInstance())
            .getMembersList();
    assertEquals(2, members.size(), members.toString());
  }

  private static WatchResponse next(BlockingQueue<WatchResponse> answers)
      throws InterruptedException {
    WatchResponse r = answers.poll(30, TimeUnit.SECONDS);
    if (r == null) {
      throw new AssertionError("no watch answer in 30 s");
    }
    return r;
  }
}
