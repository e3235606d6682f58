package dev.cohort.etcd.internal;

import com.google.protobuf.ByteString;
import dev.cohort.etcd.EtcdSettings;
import dev.cohort.kv.Header;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KeyspaceInfo;
import dev.cohort.kv.KeyspaceSpec;
import dev.cohort.kv.Kv;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.ResumeTokens;
import io.etcd.jetcd.api.ResponseHeader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.stream.Materializer;

/**
 * What every etcd service shares: the kv API, the one-partition keyspace the etcd API serves, this
 * node's etcd identity (cluster and member ids) and the conversions between etcd's messages and
 * kv's records.
 *
 * <p>Invariants: the keyspace has exactly one partition, so partition 0's revision is the store
 * revision etcd clients see; {@link #lastRevision()} never decreases. The keyspace is created (or
 * checked) on first use rather than at start, because a node that joins seeds cannot reach the
 * keyspace registry before it is Up. Thread-safe.
 */
public final class EtcdStore {
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  private final Kv kv;
  private final EtcdSettings settings;
  private final KvSettings kvSettings;
  private final ActorSystem<?> system;
  private final Materializer materializer;
  private final long clusterId;
  private final long memberId;
  private final AtomicReference<CompletableFuture<KeyspaceInfo>> keyspace = new AtomicReference<>();
  private final AtomicLong lastRevision = new AtomicLong();
  private volatile int boundPort;
  private final Set<SerializedObserver<?>> streams = ConcurrentHashMap.newKeySet();

  public EtcdStore(ActorSystem<?> system, Kv kv, EtcdSettings settings) {
    this.system = system;
    this.kv = kv;
    this.settings = settings;
    this.kvSettings = KvSettings.create(system.settings().config());
    this.materializer = Materializer.matFromSystem(system);
    this.clusterId = positiveHash("cohort-etcd:" + system.name() + ":" + settings.keyspace());
    this.memberId = memberIdOf(Cluster.get(system).selfMember().address().toString());
  }

  public Kv kv() {
    return kv;
  }

  public String keyspaceName() {
    return settings.keyspace();
  }

  public EtcdSettings settings() {
    return settings;
  }

  public KvSettings kvSettings() {
    return kvSettings;
  }

  public ActorSystem<?> system() {
    return system;
  }

  public Materializer materializer() {
    return materializer;
  }

  public long clusterId() {
    return clusterId;
  }

  public long memberId() {
    return memberId;
  }

  /** The port the gRPC listener is bound to (0 while it is not). */
  public int boundPort() {
    return boundPort;
  }

  public void boundPort(int port) {
    this.boundPort = port;
  }

  /** Tracks an open response stream until it ends, so that {@link #abortStreams} can end it. */
  <T> SerializedObserver<T> stream(io.grpc.stub.StreamObserver<T> responses) {
    SerializedObserver<T> out = new SerializedObserver<>(responses, streams::remove);
    streams.add(out);
    return out;
  }

  /**
   * Ends every open stream with UNAVAILABLE, as a stopping etcd member does: clients then reconnect
   * (to this node once it is back, or another) and resume their watches and keepalives from where
   * they were. A stream cancelled by the server's shutdown instead reads as CANCELLED, which
   * clients such as jetcd take as final.
   */
  public void abortStreams() {
    for (SerializedObserver<?> s : List.copyOf(streams)) {
      s.fail(
          io.grpc.Status.UNAVAILABLE
              .withDescription("cohort: the node is shutting down")
              .asRuntimeException());
    }
  }

  /** A member id for a Pekko address: positive FNV-1a of its text, stable across restarts. */
  public static long memberIdOf(String address) {
    return positiveHash(address);
  }

  /**
   * The served keyspace, created with one partition on first use; fails when it exists with more
   * partitions. A failed attempt is retried by the next call.
   */
  public CompletionStage<KeyspaceInfo> keyspace() {
    CompletableFuture<KeyspaceInfo> current = keyspace.get();
    if (current != null && !current.isCompletedExceptionally()) {
      return current;
    }
    CompletableFuture<KeyspaceInfo> next = new CompletableFuture<>();
    if (!keyspace.compareAndSet(current, next)) {
      return keyspace();
    }
    kv.createKeyspace(settings.keyspace(), KeyspaceSpec.cp(1))
        .whenComplete(
            (info, failure) -> {
              if (failure != null) {
                next.completeExceptionally(failure);
              } else if (info.partitions() != 1 || !info.mode().equals("cp")) {
                next.completeExceptionally(
                    io.grpc.Status.FAILED_PRECONDITION
                        .withDescription(
                            "cohort: keyspace '"
                                + info.name()
                                + "' (cohort.etcd.keyspace) has "
                                + info.partitions()
                                + " partitions in mode "
                                + info.mode()
                                + "; the etcd API needs a cp keyspace of one partition")
                        .asRuntimeException());
              } else {
                next.complete(info);
              }
            });
    return next;
  }

  /** The highest revision this node has seen in any answer (for headers of revision-less calls). */
  public long lastRevision() {
    return lastRevision.get();
  }

  /** A response header at {@code revision}, which also advances {@link #lastRevision()}. */
  public ResponseHeader header(long revision) {
    lastRevision.accumulateAndGet(revision, Math::max);
    return ResponseHeader.newBuilder()
        .setClusterId(clusterId)
        .setMemberId(memberId)
        .setRevision(revision)
        .setRaftTerm(1)
        .build();
  }

  /** A header at the last revision this node saw (leases, cluster and maintenance answers). */
  public ResponseHeader header() {
    return header(lastRevision.get());
  }

  /** The store revision a kv answer carried. */
  public static long revisionOf(List<Header> headers) {
    return headers.isEmpty() ? 0 : headers.get(0).revision();
  }

  /** The store revision recorded in a resume token of the served keyspace. */
  public long revisionOf(KeyspaceInfo info, String token) {
    return revisionOf(ResumeTokens.positions(token, info));
  }

  /** The current store revision (one read of the partition). */
  public CompletionStage<Long> currentRevision() {
    return keyspace()
        .thenCompose(
            info ->
                kv.keyspaceStats(settings.keyspace())
                    .thenApply(
                        stats -> {
                          long revision = revisionOf(info, stats.token());
                          header(revision);
                          return revision;
                        }));
  }

  /** A resume token that makes a watch start right after {@code revision}. */
  public CompletionStage<String> tokenAfter(long revision) {
    return kv.resumeToken(settings.keyspace(), List.of(new Header(0, Math.max(0, revision))));
  }

  /** A key of an etcd request as kv's text key; refuses empty keys and bytes that are not UTF-8. */
  public static String key(ByteString bytes) {
    if (bytes.isEmpty()) {
      throw EtcdErrors.emptyKey();
    }
    return text(bytes);
  }

  /** Bytes as UTF-8 text; refuses bytes that are not UTF-8 (kv keys are text). */
  public static String text(ByteString bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw EtcdErrors.invalid("cohort: keys must be UTF-8 text (kv keys are text)");
    }
  }

  public static ByteString bytes(String text) {
    return ByteString.copyFromUtf8(text);
  }

  /** A kv key as etcd's {@code mvccpb.KeyValue}. */
  public static io.etcd.jetcd.api.KeyValue toEtcd(KeyValue kv, boolean keysOnly) {
    io.etcd.jetcd.api.KeyValue.Builder b =
        io.etcd.jetcd.api.KeyValue.newBuilder()
            .setKey(bytes(kv.key()))
            .setCreateRevision(kv.createRevision())
            .setModRevision(kv.modRevision())
            .setVersion(kv.version())
            .setLease(kv.lease());
    if (!keysOnly) {
      b.setValue(ByteString.copyFrom(kv.value()));
    }
    return b.build();
  }

  private static long positiveHash(String text) {
    long hash = FNV_OFFSET;
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      hash ^= (b & 0xff);
      hash *= FNV_PRIME;
    }
    long positive = hash & Long.MAX_VALUE;
    return positive == 0 ? 1 : positive;
  }
}
