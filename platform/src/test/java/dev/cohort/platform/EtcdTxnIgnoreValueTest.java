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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code ignore_value} puts inside etcd transactions, through the generated stubs, with etcd's
 * semantics: the key keeps its value and gets a new mod revision (and the lease the put names, or
 * its own with {@code ignore_lease}), in either branch and in nested transactions; a missing key
 * answers {@code key not found} and applies nothing when its put is on the path that runs, and is
 * no error when it is not; a concurrent write is never overwritten with the value read before it.
 */
@Tag("integration")
class EtcdTxnIgnoreValueTest {
  private static EtcdStubs.Listener etcd;
  private static ManagedChannel channel;
  private static KVGrpc.KVBlockingStub kv;
  private static LeaseGrpc.LeaseBlockingStub leases;

  @BeforeAll
  static void start() throws Exception {
    etcd = EtcdStubs.Listener.start("cohort-etcd-txn-iv");
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

  private static long lease() {
    return leases.leaseGrant(LeaseGrantRequest.newBuilder().setTTL(600).build()).getID();
  }

  /** An {@code ignore_value} put of {@code key}, shaped further by {@code options}. */
  private static RequestOp keep(String key, UnaryOperator<PutRequest.Builder> options) {
    return RequestOp.newBuilder()
        .setRequestPut(options.apply(PutRequest.newBuilder().setKey(b(key)).setIgnoreValue(true)))
        .build();
  }

  private static RequestOp keep(String key) {
    return keep(key, p -> p);
  }

  @Test
  void inTheBranchThatRunsTheValueIsKeptAndTheLeaseIsTheNamedOne() {
    long first = lease();
    long second = lease();
    kv.put(PutRequest.newBuilder().setKey(b("iv/a")).setValue(b("A")).setLease(first).build());
    kv.put(PutRequest.newBuilder().setKey(b("iv/b")).setValue(b("B")).setLease(first).build());
    long before = revision(kv);
    TxnResponse r =
        kv.txn(
            TxnRequest.newBuilder()
                .addCompare(version("iv/a", Compare.CompareResult.EQUAL, 1))
                .addSuccess(keep("iv/a", p -> p.setLease(second).setPrevKv(true)))
                .addSuccess(keep("iv/b", p -> p.setIgnoreLease(true)))
                .addSuccess(putOp("iv/c", "C"))
                .build());
    assertTrue(r.getSucceeded());
    assertEquals(before + 1, r.getHeader().getRevision(), "one revision for the transaction");
    assertEquals(3, r.getResponsesCount());
    PutResponse a = r.getResponses(0).getResponsePut();
    assertEquals("A", a.getPrevKv().getValue().toStringUtf8());
    assertEquals(first, a.getPrevKv().getLease());
    assertEquals(r.getHeader().getRevision(), a.getHeader().getRevision());

    KeyValue kept = get(kv, "iv/a");
    assertEquals("A", kept.getValue().toStringUtf8());
    assertEquals(second, kept.getLease(), "the put's lease replaces the key's");
    assertEquals(2, kept.getVersion());
    assertEquals(r.getHeader().getRevision(), kept.getModRevision());
    KeyValue alsoKept = get(kv, "iv/b");
    assertEquals("B", alsoKept.getValue().toStringUtf8());
    assertEquals(first, alsoKept.getLease(), "ignore_lease keeps the key's lease");
    assertEquals(r.getHeader().getRevision(), alsoKept.getModRevision());
    assertFalse(r.getResponses(1).getResponsePut().hasPrevKv(), "prev_kv was not asked for");
  }

  @Test
  void inTheFailureBranchTheSameValueIsRewritten() {
    long created = put(kv, "iv/f", "F");
    TxnResponse r =
        kv.txn(
            TxnRequest.newBuilder()
                .addCompare(version("iv/f", Compare.CompareResult.EQUAL, 7))
                .addSuccess(putOp("iv/f-then", "x"))
                .addFailure(keep("iv/f", p -> p.setPrevKv(true)))
                .build());
    assertFalse(r.getSucceeded());
    assertEquals("F", r.getResponses(0).getResponsePut().getPrevKv().getValue().toStringUtf8());
    KeyValue f = get(kv, "iv/f");
    assertEquals("F", f.getValue().toStringUtf8());
    assertEquals(created, f.getCreateRevision());
    assertEquals(r.getHeader().getRevision(), f.getModRevision(), "the rewrite bumps it");
    assertEquals(2, f.getVersion());
    assertNull(get(kv, "iv/f-then"));
  }

  @Test
  void insideANestedTransactionTheValueIsKept() {
    long owned = lease();
    put(kv, "iv/n/a", "nested");
    TxnResponse r =
        kv.txn(
            TxnRequest.newBuilder()
                .addSuccess(putOp("iv/n/b", "outer"))
                .addSuccess(
                    txnOp(
                        TxnRequest.newBuilder()
                            .addCompare(version("iv/n/a", Compare.CompareResult.EQUAL, 1))
                            .addSuccess(keep("iv/n/a", p -> p.setLease(owned)))
                            .addFailure(putOp("iv/n/a", "else"))))
                .build());
    assertTrue(r.getSucceeded());
    TxnResponse nested = r.getResponses(1).getResponseTxn();
    assertTrue(nested.getSucceeded());
    assertEquals(1, nested.getResponsesCount());
    assertEquals(0, nested.getHeader().getRevision(), "etcd leaves a nested header empty");
    KeyValue a = get(kv, "iv/n/a");
    assertEquals("nested", a.getValue().toStringUtf8());
    assertEquals(owned, a.getLease());
    assertEquals(r.getHeader().getRevision(), a.getModRevision());
    assertEquals(r.getHeader().getRevision(), get(kv, "iv/n/b").getModRevision(), "one revision");
  }

  @Test
  void aMissingKeyOnThePathThatRunsIsNotFoundAndNothingIsApplied() {
    put(kv, "iv/m/x", "1");
    long before = revision(kv);
    TxnRequest inSuccess =
        TxnRequest.newBuilder()
            .addSuccess(putOp("iv/m/x", "2"))
            .addSuccess(keep("iv/m/missing"))
            .build();
    TxnRequest inFailure =
        TxnRequest.newBuilder()
            .addCompare(version("iv/m/x", Compare.CompareResult.EQUAL, 5))
            .addFailure(putOp("iv/m/x", "2"))
            .addFailure(keep("iv/m/missing"))
            .build();
    TxnRequest inNested =
        TxnRequest.newBuilder()
            .addSuccess(putOp("iv/m/x", "2"))
            .addSuccess(
                txnOp(
                    TxnRequest.newBuilder()
                        .addCompare(version("iv/m/x", Compare.CompareResult.EQUAL, 1))
                        .addSuccess(putOp("iv/m/y", "3"))
                        .addSuccess(keep("iv/m/missing"))
                        .addFailure(putOp("iv/m/y", "4"))))
            .build();
    for (TxnRequest request : List.of(inSuccess, inFailure, inNested)) {
      assertStatus(
          Status.Code.INVALID_ARGUMENT, "etcdserver: key not found", () -> kv.txn(request));
    }
    assertEquals(before, revision(kv), "no refused transaction spent a revision");
    assertEquals("1", get(kv, "iv/m/x").getValue().toStringUtf8());
    assertNull(get(kv, "iv/m/y"));
    assertNull(get(kv, "iv/m/missing"));
  }

  @Test
  void aMissingKeyOffThePathThatRunsIsNoError() {
    TxnResponse r =
        kv.txn(
            TxnRequest.newBuilder()
                .addCompare(version("iv/o/absent", Compare.CompareResult.EQUAL, 0))
                .addSuccess(putOp("iv/o/x", "ran"))
                .addSuccess(
                    txnOp(
                        TxnRequest.newBuilder()
                            .addCompare(version("iv/o/x", Compare.CompareResult.EQUAL, 9))
                            .addSuccess(keep("iv/o/absent"))
                            .addFailure(putOp("iv/o/y", "else"))))
                .addFailure(keep("iv/o/absent"))
                .build());
    assertTrue(r.getSucceeded());
    assertFalse(r.getResponses(1).getResponseTxn().getSucceeded());
    assertEquals("ran", get(kv, "iv/o/x").getValue().toStringUtf8());
    assertEquals("else", get(kv, "iv/o/y").getValue().toStringUtf8());
    assertNull(get(kv, "iv/o/absent"));
  }

  @Test
  void aValueOrALeaseBesideTheFlagIsRefusedAsEtcdRefusesIt() {
    long owned = lease();
    put(kv, "iv/v/a", "1");
    long before = revision(kv);
    TxnRequest withValue =
        TxnRequest.newBuilder()
            .addSuccess(putOp("iv/v/b", "x"))
            .addSuccess(
                txnOp(TxnRequest.newBuilder().addSuccess(keep("iv/v/a", p -> p.setValue(b("v"))))))
            .build();
    assertStatus(
        Status.Code.INVALID_ARGUMENT, "etcdserver: value is provided", () -> kv.txn(withValue));
    TxnRequest withLease =
        TxnRequest.newBuilder()
            .addSuccess(keep("iv/v/a", p -> p.setIgnoreLease(true).setLease(owned)))
            .build();
    assertStatus(
        Status.Code.INVALID_ARGUMENT, "etcdserver: lease is provided", () -> kv.txn(withLease));
    assertEquals(before, revision(kv), "nothing was written");
    assertEquals("1", get(kv, "iv/v/a").getValue().toStringUtf8());
    assertNull(get(kv, "iv/v/b"));
  }

  /**
   * A writer puts a key over and over while transactions keep its value: each transaction must
   * write the value the key had when it ran (its prev_kv), never an older one it read before a
   * concurrent put; at the end the writer's last value stands.
   */
  @Test
  void aConcurrentPutIsNeverOverwrittenWithAnOlderValue() {
    put(kv, "iv/c/k", "v0");
    int puts = 150;
    // The writer gets a thread of its own: on this machine the common pool has one worker, and a
    // blocking call parked there stalls the embedded node's etcd writes until they time out.
    try (ExecutorService writerThread = Executors.newSingleThreadExecutor()) {
      CompletableFuture<Void> writer =
          CompletableFuture.runAsync(
              () -> {
                for (int i = 1; i <= puts; i++) {
                  put(EtcdStubs.kv(channel), "iv/c/k", "v" + i);
                }
              },
              writerThread);
      int kept = 0;
      while (!writer.isDone() || kept == 0) {
        TxnResponse r;
        try {
          r =
              EtcdStubs.kv(channel)
                  .txn(
                      TxnRequest.newBuilder()
                          .addSuccess(keep("iv/c/k", p -> p.setPrevKv(true)))
                          .build());
        } catch (StatusRuntimeException e) {
          // bounded retries may run out under this contention: refused whole, nothing applied
          assertEquals(Status.Code.ABORTED, e.getStatus().getCode(), e.getStatus().toString());
          continue;
        }
        kept++;
        long at = r.getHeader().getRevision();
        String before = r.getResponses(0).getResponsePut().getPrevKv().getValue().toStringUtf8();
        KeyValue written =
            EtcdStubs.kv(channel)
                .range(RangeRequest.newBuilder().setKey(b("iv/c/k")).setRevision(at).build())
                .getKvs(0);
        assertEquals(at, written.getModRevision());
        assertEquals(before, written.getValue().toStringUtf8(), "at revision " + at);
      }
      writer.orTimeout(60, TimeUnit.SECONDS).join();
    }
    kv.txn(TxnRequest.newBuilder().addSuccess(keep("iv/c/k")).build());
    assertEquals("v" + puts, get(kv, "iv/c/k").getValue().toStringUtf8());
  }
}
