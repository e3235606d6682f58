package dev.cohort.platform;

import static dev.cohort.platform.EtcdStubs.b;
import static dev.cohort.platform.EtcdStubs.put;
import static dev.cohort.platform.EtcdStubs.revision;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.WatchCancelRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchProgressRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The etcd listener at the protocol level, with the generated stubs: what etcdctl and jetcd do not
 * show (watch cancel and progress answers, filters, compact_revision, errors and that bad input
 * changes nothing).
 */
@Tag("integration")
class EtcdGrpcTest {
  private static EtcdStubs.Listener etcd;
  private static ManagedChannel channel;
  private static KVGrpc.KVBlockingStub kv;

  @BeforeAll
  static void start() throws Exception {
    etcd = EtcdStubs.Listener.start("cohort-etcd-grpc");
    channel = etcd.channel();
    kv = EtcdStubs.kv(channel);
  }

  @AfterAll
  static void stop() {
    if (etcd != null) {
      etcd.close();
    }
  }

  @Test
  void watchCreateCancelProgressAndFilters() throws Exception {
    EtcdStubs.WatchStream s = new EtcdStubs.WatchStream(channel);
    s.create(
        WatchCreateRequest.newBuilder()
            .setKey(b("g/w/"))
            .setRangeEnd(b("g/w0"))
            .addFilters(WatchCreateRequest.FilterType.NODELETE)
            .setPrevKv(true));
    WatchResponse created = s.next();
    assertTrue(created.getCreated());
    long id = created.getWatchId();
    put(kv, "g/w/a", "1");
    kv.deleteRange(io.etcd.jetcd.api.DeleteRangeRequest.newBuilder().setKey(b("g/w/a")).build());
    long last = put(kv, "g/w/a", "2");
    WatchResponse first = s.next();
    assertEquals("1", first.getEvents(0).getKv().getValue().toStringUtf8());
    WatchResponse second = s.next(); // the delete was filtered out
    assertEquals(last, second.getEvents(0).getKv().getModRevision());
    assertFalse(second.getEvents(0).hasPrevKv(), "re-created after the delete: no previous value");

    s.requests.onNext(
        WatchRequest.newBuilder()
            .setProgressRequest(WatchProgressRequest.getDefaultInstance())
            .build());
    WatchResponse progress = s.next();
    assertEquals(-1, progress.getWatchId());
    assertTrue(
        progress.getHeader().getRevision() >= last - 1
            && progress.getHeader().getRevision() <= last,
        "progress names a revision every event up to which was sent: "
            + progress.getHeader().getRevision());

    s.requests.onNext(
        WatchRequest.newBuilder()
            .setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(id))
            .build());
    WatchResponse cancelled = s.next();
    assertTrue(cancelled.getCanceled());
    assertEquals(id, cancelled.getWatchId());
    put(kv, "g/w/b", "after cancel");
    assertEquals(null, s.answers.poll(1, TimeUnit.SECONDS), "no event after the cancel");
    s.requests.onCompleted();
  }

  @Test
  void compactedStartRevisionGetsCompactRevision() throws Exception {
    long old = put(kv, "g/c/k", "1");
    put(kv, "g/c/k", "2");
    long now = revision(kv);
    kv.compact(CompactionRequest.newBuilder().setRevision(now).build());
    EtcdStubs.WatchStream s = new EtcdStubs.WatchStream(channel);
    s.create(WatchCreateRequest.newBuilder().setKey(b("g/c/k")).setStartRevision(old));
    assertTrue(s.next().getCreated());
    WatchResponse compacted = s.next();
    assertTrue(compacted.getCanceled());
    assertEquals(now, compacted.getCompactRevision());
    StatusRuntimeException read =
        assertThrows(
            StatusRuntimeException.class,
            () -> kv.range(RangeRequest.newBuilder().setKey(b("g/c/k")).setRevision(old).build()));
    assertEquals(Status.Code.OUT_OF_RANGE, read.getStatus().getCode());
    s.requests.onCompleted();
  }

  @Test
  void badInputIsRefusedAndChangesNothing() {
    long before = revision(kv);
    TxnRequest.Builder tooMany = TxnRequest.newBuilder();
    for (int i = 0; i < 129; i++) {
      tooMany.addSuccess(
          RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(b("g/bad/" + i))));
    }
    assertRefused(
        Status.Code.INVALID_ARGUMENT,
        "etcdserver: too many operations in txn request",
        () -> kv.txn(tooMany.build()));
    assertRefused(
        Status.Code.INVALID_ARGUMENT,
        "etcdserver: key is not provided",
        () -> kv.put(PutRequest.newBuilder().setValue(b("v")).build()));
    assertRefused(
        Status.Code.INVALID_ARGUMENT,
        "etcdserver: value is provided",
        () ->
            kv.put(
                PutRequest.newBuilder()
                    .setKey(b("g/bad/x"))
                    .setValue(b("v"))
                    .setIgnoreValue(true)
                    .build()));
    assertRefused(
        Status.Code.INVALID_ARGUMENT,
        "etcdserver: key not found",
        () ->
            kv.put(
                PutRequest.newBuilder().setKey(b("g/bad/missing")).setIgnoreValue(true).build()));
    assertRefused(
        Status.Code.NOT_FOUND,
        "etcdserver: requested lease not found",
        () ->
            kv.put(
                PutRequest.newBuilder()
                    .setKey(b("g/bad/y"))
                    .setValue(b("v"))
                    .setLease(424242)
                    .build()));
    assertRefused(
        Status.Code.INVALID_ARGUMENT,
        "etcdserver: key not found",
        () ->
            kv.txn(
                TxnRequest.newBuilder()
                    .addSuccess(
                        RequestOp.newBuilder()
                            .setRequestPut(PutRequest.newBuilder().setKey(b("g/bad/z"))))
                    .addSuccess(
                        RequestOp.newBuilder()
                            .setRequestPut(
                                PutRequest.newBuilder().setKey(b("g/bad/x")).setIgnoreValue(true)))
                    .build()));
    assertEquals(before, revision(kv), "nothing was written");
    RangeResponse none =
        kv.range(RangeRequest.newBuilder().setKey(b("g/bad/")).setRangeEnd(b("g/bad0")).build());
    assertEquals(0, none.getCount());
  }

  @Test
  void ignoreValueKeepsTheValueAndSortLimitCount() {
    put(kv, "g/s/a", "3");
    put(kv, "g/s/b", "1");
    put(kv, "g/s/c", "2");
    kv.put(PutRequest.newBuilder().setKey(b("g/s/a")).setIgnoreValue(true).build());
    RangeResponse a = kv.range(RangeRequest.newBuilder().setKey(b("g/s/a")).build());
    assertEquals("3", a.getKvs(0).getValue().toStringUtf8());
    assertEquals(2, a.getKvs(0).getVersion());
    RangeResponse byValue =
        kv.range(
            RangeRequest.newBuilder()
                .setKey(b("g/s/"))
                .setRangeEnd(b("g/s0"))
                .setSortTarget(RangeRequest.SortTarget.VALUE)
                .setSortOrder(RangeRequest.SortOrder.DESCEND)
                .setLimit(2)
                .build());
    assertEquals(3, byValue.getCount());
    assertTrue(byValue.getMore());
    assertEquals("g/s/a", byValue.getKvs(0).getKey().toStringUtf8());
    assertEquals("g/s/c", byValue.getKvs(1).getKey().toStringUtf8());
  }

  private static void assertRefused(Status.Code code, String message, Runnable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(code, e.getStatus().getCode(), e.toString());
    assertEquals(message, e.getStatus().getDescription());
  }
}
