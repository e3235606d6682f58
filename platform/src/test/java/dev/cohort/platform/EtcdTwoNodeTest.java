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
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
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
    toA = EtcdStubs.channel(a);
    toB = EtcdStubs.channel(b);
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
    return EtcdStubs.kv(c);
  }

  private static ByteString bytes(String s) {
    return EtcdStubs.b(s);
  }

  private static long put(ManagedChannel c, String key, String value) {
    return EtcdStubs.put(kv(c), PREFIX + key, value);
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
    EtcdStubs.WatchStream watch = new EtcdStubs.WatchStream(toB);
    String watched = PREFIX + "w/";
    watch.create(
        WatchCreateRequest.newBuilder().setKey(bytes(watched)).setRangeEnd(bytes(PREFIX + "w0")));
    assertTrue(watch.next().getCreated());

    long revision = put(toA, "w/one", "1");
    WatchResponse first = watch.next();
    assertEquals(PREFIX + "w/one", first.getEvents(0).getKv().getKey().toStringUtf8());
    assertEquals("1", first.getEvents(0).getKv().getValue().toStringUtf8());
    assertEquals(revision, first.getEvents(0).getKv().getModRevision());

    // a transaction through A: both its keys in one answer, at one revision
    kv(toA)
        .txn(
            TxnRequest.newBuilder()
                .addSuccess(EtcdStubs.putOp(PREFIX + "w/two", "2"))
                .addSuccess(EtcdStubs.putOp(PREFIX + "w/three", "3"))
                .build());
    WatchResponse txn = watch.next();
    assertEquals(2, txn.getEventsCount(), txn.toString());
    assertEquals(
        txn.getEvents(0).getKv().getModRevision(), txn.getEvents(1).getKv().getModRevision());
    watch.requests.onCompleted();
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
}
