package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * What the etcd tests on the generated stubs share: a plaintext channel to a node's etcd listener,
 * a KV stub, keys as bytes, reads, ops and status checks, and a watch stream whose answers a test
 * reads in order. Stateless.
 */
final class EtcdStubs {
  private EtcdStubs() {}

  /** An embedded node with its etcd listener on a free port, and a plaintext channel to it. */
  record Listener(CohortNode node, ManagedChannel channel) implements AutoCloseable {
    static Listener start(String dataDirPrefix) throws Exception {
      CohortNode node =
          Cohort.start(HttpTestClient.embeddedNode(dataDirPrefix).etcdPort(-1).build());
      return new Listener(node, EtcdStubs.channel(node));
    }

    @Override
    public void close() {
      channel.shutdownNow();
      node.close();
    }
  }

  static ManagedChannel channel(CohortNode node) {
    return NettyChannelBuilder.forAddress("127.0.0.1", node.etcdAddress().orElseThrow().getPort())
        .usePlaintext()
        .build();
  }

  /** A KV stub whose calls must finish within 60 s of now. */
  static KVGrpc.KVBlockingStub kv(ManagedChannel channel) {
    return KVGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  /** Puts {@code key}; returns the revision of the put. */
  static long put(KVGrpc.KVBlockingStub kv, String key, String value) {
    return kv.put(PutRequest.newBuilder().setKey(b(key)).setValue(b(value)).build())
        .getHeader()
        .getRevision();
  }

  /** A put inside a transaction. */
  static RequestOp putOp(String key, String value) {
    return RequestOp.newBuilder()
        .setRequestPut(PutRequest.newBuilder().setKey(b(key)).setValue(b(value)))
        .build();
  }

  /** A Lease stub whose calls must finish within 60 s of now. */
  static LeaseGrpc.LeaseBlockingStub leases(ManagedChannel channel) {
    return LeaseGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  /** A compare of {@code key}'s version. */
  static Compare version(String key, Compare.CompareResult result, long version) {
    return Compare.newBuilder()
        .setKey(b(key))
        .setTarget(Compare.CompareTarget.VERSION)
        .setResult(result)
        .setVersion(version)
        .build();
  }

  /** A nested transaction, as an op of a transaction's branch. */
  static RequestOp txnOp(TxnRequest.Builder txn) {
    return RequestOp.newBuilder().setRequestTxn(txn).build();
  }

  /** The key's current entry, or null when it is missing. */
  static KeyValue get(KVGrpc.KVBlockingStub kv, String key) {
    List<KeyValue> kvs = kv.range(RangeRequest.newBuilder().setKey(b(key)).build()).getKvsList();
    return kvs.isEmpty() ? null : kvs.get(0);
  }

  /** Asserts that {@code call} is refused with {@code code} and etcd's {@code message}. */
  static void assertStatus(Status.Code code, String message, Runnable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    assertEquals(message, e.getStatus().getDescription());
  }

  /** The store revision now (the header of a read of a key no test writes). */
  static long revision(KVGrpc.KVBlockingStub kv) {
    return kv.range(RangeRequest.newBuilder().setKey(b("etcd-stubs/none")).build())
        .getHeader()
        .getRevision();
  }

  /** A watch stream whose answers a test reads in order. */
  static final class WatchStream implements StreamObserver<WatchResponse> {
    final BlockingQueue<WatchResponse> answers = new LinkedBlockingQueue<>();
    final StreamObserver<WatchRequest> requests;

    WatchStream(ManagedChannel channel) {
      requests = WatchGrpc.newStub(channel).watch(this);
    }

    WatchResponse next() throws InterruptedException {
      WatchResponse r = answers.poll(20, TimeUnit.SECONDS);
      if (r == null) {
        throw new AssertionError("no watch answer in 20 s");
      }
      return r;
    }

    void create(WatchCreateRequest.Builder c) {
      requests.onNext(WatchRequest.newBuilder().setCreateRequest(c).build());
    }

    @Override
    public void onNext(WatchResponse value) {
      answers.add(value);
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }
}
