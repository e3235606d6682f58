package dev.cohort.platform;

import static dev.cohort.platform.EtcdStubs.assertStatus;
import static dev.cohort.platform.EtcdStubs.b;
import static dev.cohort.platform.EtcdStubs.get;
import static dev.cohort.platform.EtcdStubs.put;
import static dev.cohort.platform.EtcdStubs.putOp;
import static dev.cohort.platform.EtcdStubs.revision;
import static dev.cohort.platform.EtcdStubs.txnOp;
import static dev.cohort.platform.EtcdStubs.version;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What etcdctl cannot express, through the generated stubs: nested transactions (etcd 3.3+) with
 * etcd's semantics and limits, compares over a key interval and deletes of one inside transactions,
 * lease ids chosen by the client, and the same nested request on the JSON gateway. Bad input
 * answers etcd's messages and changes nothing.
 */
@Tag("integration")
class EtcdTxnTest {
  private static EtcdStubs.Listener etcd;
  private static ManagedChannel channel;
  private static KVGrpc.KVBlockingStub kv;
  private static LeaseGrpc.LeaseBlockingStub leases;

  @BeforeAll
  static void start() throws Exception {
    etcd = EtcdStubs.Listener.start("cohort-etcd-txn");
    channel = etcd.channel();
    kv = EtcdStubs.kv(channel);
    leases = EtcdStubs.leases(channel);
  }

  @AfterAll
  static void stop() {
    if (etcd != null) {
      etcd.close();
    }
  }

  private static RequestOp rangeOp(String key, String rangeEnd) {
    return RequestOp.newBuilder()
        .setRequestRange(RangeRequest.newBuilder().setKey(b(key)).setRangeEnd(b(rangeEnd)))
        .build();
  }

  private static Compare value(String key, String rangeEnd, Compare.CompareResult r, String v) {
    return Compare.newBuilder()
        .setKey(b(key))
        .setRangeEnd(b(rangeEnd))
        .setTarget(Compare.CompareTarget.VALUE)
        .setResult(r)
        .setValue(b(v))
        .build();
  }

  @Test
  void nestedTransactionsRunAtomicallyWithEtcdsSemantics() {
    put(kv, "t/n/a", "1");
    TxnResponse r =
        kv.txn(
            TxnRequest.newBuilder()
                .addCompare(value("t/n/a", "", Compare.CompareResult.EQUAL, "1"))
                .addSuccess(putOp("t/n/a", "2"))
                .addSuccess(
                    txnOp(
                        TxnRequest.newBuilder()
                            // evaluated before any op, as etcd does: a is still 1 here
                            .addCompare(value("t/n/a", "", Compare.CompareResult.EQUAL, "1"))
                            .addSuccess(putOp("t/n/b", "then"))
                            .addSuccess(rangeOp("t/n/a", ""))
                            .addFailure(putOp("t/n/b", "else"))))
                .addSuccess(
                    txnOp(
                        TxnRequest.newBuilder()
                            .addCompare(version("t/n/a", Compare.CompareResult.GREATER, 1))
                            .addSuccess(putOp("t/n/c", "then"))
                            .addFailure(putOp("t/n/c", "else"))
                            .addFailure(rangeOp("t/n/", "t/n0"))))
                .build());
    assertTrue(r.getSucceeded());
    assertEquals(3, r.getResponsesCount());
    TxnResponse first = r.getResponses(1).getResponseTxn();
    assertTrue(first.getSucceeded());
    assertEquals(
        "2",
        first.getResponses(1).getResponseRange().getKvs(0).getValue().toStringUtf8(),
        "a read in a nested branch sees the put before it");
    TxnResponse second = r.getResponses(2).getResponseTxn();
    assertFalse(second.getSucceeded());
    assertEquals(ResponseOp.ResponseCase.RESPONSE_PUT, second.getResponses(0).getResponseCase());
    assertEquals(3, second.getResponses(1).getResponseRange().getCount());

    long revision = r.getHeader().getRevision();
    assertEquals("then", get(kv, "t/n/b").getValue().toStringUtf8());
    assertEquals("else", get(kv, "t/n/c").getValue().toStringUtf8());
    for (String key : List.of("t/n/a", "t/n/b", "t/n/c")) {
      assertEquals(revision, get(kv, key).getModRevision(), key + ": the tree is one revision");
    }
  }

  @Test
  void badNestedTransactionsAnswerEtcdsErrorsAndChangeNothing() {
    put(kv, "t/bad/k", "0");
    long before = revision(kv);
    TxnRequest duplicate =
        TxnRequest.newBuilder()
            .addSuccess(putOp("t/bad/k", "1"))
            .addSuccess(txnOp(TxnRequest.newBuilder().addSuccess(putOp("t/bad/k", "2"))))
            .build();
    assertStatus(
        Status.Code.INVALID_ARGUMENT,
        "etcdserver: duplicate key given in txn request",
        () -> kv.txn(duplicate));

    // etcd's count: the outer transaction's largest list (100) plus the nested one's (29) > 128
    TxnRequest.Builder inner = TxnRequest.newBuilder();
    for (int i = 0; i < 29; i++) {
      inner.addSuccess(putOp("t/bad/in" + i, "x"));
    }
    TxnRequest.Builder outer = TxnRequest.newBuilder();
    for (int i = 0; i < 99; i++) {
      outer.addSuccess(putOp("t/bad/out" + i, "x"));
    }
    TxnRequest tooMany = outer.clone().addSuccess(txnOp(inner.clone())).build();
    assertStatus(
        Status.Code.INVALID_ARGUMENT,
        "etcdserver: too many operations in txn request",
        () -> kv.txn(tooMany));

    TxnRequest emptyKey =
        TxnRequest.newBuilder()
            .addSuccess(putOp("t/bad/ok", "x"))
            .addSuccess(
                txnOp(
                    TxnRequest.newBuilder()
                        .addCompare(version("", Compare.CompareResult.EQUAL, 0))
                        .addSuccess(putOp("t/bad/ok2", "x"))))
            .build();
    assertStatus(
        Status.Code.INVALID_ARGUMENT, "etcdserver: key is not provided", () -> kv.txn(emptyKey));

    TxnRequest emptyOp =
        TxnRequest.newBuilder()
            .addSuccess(putOp("t/bad/ok", "x"))
            .addSuccess(txnOp(TxnRequest.newBuilder().addFailure(RequestOp.getDefaultInstance())))
            .build();
    assertStatus(Status.Code.INVALID_ARGUMENT, "etcdserver: key not found", () -> kv.txn(emptyOp));

    assertEquals(before, revision(kv), "no refused request spent a revision");
    assertEquals("0", get(kv, "t/bad/k").getValue().toStringUtf8());
    assertEquals(null, get(kv, "t/bad/out0"));
    assertEquals(null, get(kv, "t/bad/ok"));

    // one op fewer in the nested transaction fits: 100 + 28 = 128
    inner.removeSuccess(28);
    TxnResponse fits = kv.txn(outer.addSuccess(txnOp(inner)).build());
    assertTrue(fits.getResponses(99).getResponseTxn().getSucceeded());
    assertEquals("x", get(kv, "t/bad/in27").getValue().toStringUtf8());
  }

  private static RequestOp deleteOp(String key, ByteString rangeEnd) {
    return RequestOp.newBuilder()
        .setRequestDeleteRange(
            DeleteRangeRequest.newBuilder().setKey(b(key)).setRangeEnd(rangeEnd).setPrevKv(true))
        .build();
  }

  @Test
  void deletesOfAnIntervalRunInsideTheTransaction() {
    put(kv, "t/d/a", "1");
    put(kv, "t/d/b", "2");
    put(kv, "t/d/c/x", "3");
    long before = revision(kv);
    TxnResponse r =
        kv.txn(
            TxnRequest.newBuilder()
                .addSuccess(putOp("t/d0", "after"))
                .addSuccess(
                    txnOp(
                        TxnRequest.newBuilder()
                            .addSuccess(deleteOp("t/d/", b("t/d0")))
                            .addSuccess(rangeOp("t/d/", "t/d0"))))
                .build());
    var nested = r.getResponses(1).getResponseTxn();
    var deleted = nested.getResponses(0).getResponseDeleteRange();
    assertEquals(3, deleted.getDeleted());
    assertEquals("1", deleted.getPrevKvs(0).getValue().toStringUtf8());
    assertEquals(0, nested.getResponses(1).getResponseRange().getCount());
    assertEquals(before + 1, r.getHeader().getRevision(), "one revision for the whole tree");
    assertEquals("after", get(kv, "t/d0").getValue().toStringUtf8());

    // a put of a key inside an interval the same branch deletes: etcd's duplicate key
    put(kv, "t/d/a", "again");
    long now = revision(kv);
    TxnRequest overlapping =
        TxnRequest.newBuilder()
            .addSuccess(deleteOp("t/d/", b("t/d0")))
            .addSuccess(putOp("t/d/new", "x"))
            .build();
    assertStatus(
        Status.Code.INVALID_ARGUMENT,
        "etcdserver: duplicate key given in txn request",
        () -> kv.txn(overlapping));
    assertEquals(now, revision(kv));
    assertEquals("again", get(kv, "t/d/a").getValue().toStringUtf8());
  }

  @Test
  void comparesOverAKeyIntervalHoldForEveryKeyInIt() {
    put(kv, "t/r/a", "x");
    put(kv, "t/r/b", "x");
    Compare allX = value("t/r/", "t/r0", Compare.CompareResult.EQUAL, "x");
    assertTrue(kv.txn(TxnRequest.newBuilder().addCompare(allX).build()).getSucceeded());
    put(kv, "t/r/c", "y");
    assertFalse(kv.txn(TxnRequest.newBuilder().addCompare(allX).build()).getSucceeded());

    // from a key on ("\0" range end), and the whole keyspace, with etcd's forms
    Compare fromB =
        Compare.newBuilder()
            .setKey(b("t/r/b"))
            .setRangeEnd(ByteString.copyFrom(new byte[] {0}))
            .setTarget(Compare.CompareTarget.CREATE)
            .setResult(Compare.CompareResult.GREATER)
            .setCreateRevision(0)
            .build();
    assertTrue(kv.txn(TxnRequest.newBuilder().addCompare(fromB).build()).getSucceeded());
    Compare everyKeyNew =
        Compare.newBuilder()
            .setKey(ByteString.copyFrom(new byte[] {0}))
            .setRangeEnd(ByteString.copyFrom(new byte[] {0}))
            .setTarget(Compare.CompareTarget.CREATE)
            .setResult(Compare.CompareResult.GREATER)
            .setCreateRevision(revision(kv))
            .build();
    assertFalse(kv.txn(TxnRequest.newBuilder().addCompare(everyKeyNew).build()).getSucceeded());

    // no key in the interval: compares as a missing key (create revision 0), a value never holds
    Compare noneCreated =
        Compare.newBuilder()
            .setKey(b("t/empty/"))
            .setRangeEnd(b("t/empty0"))
            .setTarget(Compare.CompareTarget.CREATE)
            .setResult(Compare.CompareResult.EQUAL)
            .setCreateRevision(0)
            .build();
    TxnResponse created =
        kv.txn(
            TxnRequest.newBuilder()
                .addCompare(noneCreated)
                .addSuccess(putOp("t/empty/first", "1"))
                .build());
    assertTrue(created.getSucceeded());
    assertFalse(
        kv.txn(TxnRequest.newBuilder().addCompare(noneCreated).build()).getSucceeded(),
        "the interval has a key now");
    Compare noValue = value("t/void/", "t/void0", Compare.CompareResult.NOT_EQUAL, "z");
    assertFalse(kv.txn(TxnRequest.newBuilder().addCompare(noValue).build()).getSucceeded());

    // as etcd: a compare's key is never empty, not even over every key ("" with range end "\0")
    Compare emptyAll =
        everyKeyNew.toBuilder().setKey(ByteString.EMPTY).setCreateRevision(0).build();
    assertStatus(
        Status.Code.INVALID_ARGUMENT,
        "etcdserver: key is not provided",
        () -> kv.txn(TxnRequest.newBuilder().addCompare(emptyAll).build()));
  }

  @Test
  void aLeaseIdChosenByTheClientIsGrantedOnce() {
    long id = 0x7e57_1d00L + System.nanoTime() % 1_000_000;
    var grant = leases.leaseGrant(LeaseGrantRequest.newBuilder().setID(id).setTTL(30).build());
    assertEquals(id, grant.getID());
    assertEquals(30, grant.getTTL());
    assertStatus(
        Status.Code.FAILED_PRECONDITION,
        "etcdserver: lease already exists",
        () -> leases.leaseGrant(LeaseGrantRequest.newBuilder().setID(id).setTTL(5).build()));
    kv.put(PutRequest.newBuilder().setKey(b("t/l/a")).setValue(b("v")).setLease(id).build());
    var ttl =
        leases.leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(id).setKeys(true).build());
    assertEquals(30, ttl.getGrantedTTL(), "the refused grant changed nothing");
    assertEquals(List.of(b("t/l/a")), ttl.getKeysList());
    leases.leaseRevoke(LeaseRevokeRequest.newBuilder().setID(id).build());
    assertEquals(null, get(kv, "t/l/a"));
  }

  @Test
  void theJsonGatewayTakesNestedTransactions() throws Exception {
    String key = Base64.getEncoder().encodeToString("t/j/a".getBytes());
    String value = Base64.getEncoder().encodeToString("json".getBytes());
    String body =
        "{\"success\":[{\"request_txn\":{\"compare\":[{\"key\":\""
            + key
            + "\",\"target\":\"CREATE\",\"result\":\"EQUAL\",\"create_revision\":\"0\"}],"
            + "\"success\":[{\"request_put\":{\"key\":\""
            + key
            + "\",\"value\":\""
            + value
            + "\"}}]}}]}";
    HttpResponse<String> response =
        new HttpTestClient(etcd.node()).send("POST", "/v3/kv/txn", body);
    assertEquals(200, response.statusCode(), response.body());
    JsonNode json = new ObjectMapper().readTree(response.body());
    assertTrue(json.get("succeeded").asBoolean(), response.body());
    JsonNode nested = json.get("responses").get(0).get("response_txn");
    assertTrue(nested.get("succeeded").asBoolean(), response.body());
    assertTrue(nested.get("responses").get(0).has("response_put"), response.body());
    assertEquals("json", get(kv, "t/j/a").getValue().toStringUtf8());
  }
}
