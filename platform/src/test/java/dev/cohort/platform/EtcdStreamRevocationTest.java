package dev.cohort.platform;

import static dev.cohort.testkit.Await.await;
import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.cohort.security.Access;
import dev.cohort.security.Grant;
import dev.cohort.security.ResourceType;
import dev.cohort.security.Role;
import dev.cohort.security.Security;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.api.AuthGrpc;
import io.etcd.jetcd.api.AuthenticateRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.WatchCancelRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.etcd.jetcd.options.WatchOption;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Open etcd streams (Watch, LeaseKeepAlive) are checked again while open, not only when created: a
 * revoked token, an expired token and a permission taken away each close the stream with etcd's
 * status ({@code etcdserver: invalid auth token}, {@code etcdserver: permission denied}). Generated
 * gRPC stubs with the {@code token} metadata, as etcd's clients send it, and jetcd's watcher.
 */
@Tag("integration")
class EtcdStreamRevocationTest {
  private static final String PASSWORD = "etcd-stream-pw-" + UUID.randomUUID();
  private static CohortNode node;
  private static Security security;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    node =
        Cohort.start(
            HttpTestClient.embeddedNode("cohort-etcd-stream-revocation")
                .etcdPort(-1)
                .override("cohort.security.password-iterations", 1000)
                .override("cohort.security.stream-check-interval", "200ms")
                .build());
    security = node.security();
    join(security.addUser("root", PASSWORD, List.of(Role.ROOT)), Duration.ofSeconds(60));
    join(security.setEnabled(true));
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", node.etcdAddress().orElseThrow().getPort())
            .usePlaintext()
            .build();
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    node.close();
  }

  /** A user holding one role with {@code access} on the etcd keys under {@code prefix}. */
  private static void user(String name, String prefix, Access access) {
    join(security.addRole(name + "-role"));
    join(security.grant(name + "-role", grant(prefix, access)));
    join(security.addUser(name, PASSWORD, List.of(name + "-role")));
  }

  private static Grant grant(String prefix, Access access) {
    return new Grant(ResourceType.KV, "etcd", prefix, access);
  }

  private static String authenticate(String user) {
    return AuthGrpc.newBlockingStub(channel)
        .authenticate(AuthenticateRequest.newBuilder().setName(user).setPassword(PASSWORD).build())
        .getToken();
  }

  private static Metadata token(String token) {
    Metadata metadata = new Metadata();
    metadata.put(Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER), token);
    return metadata;
  }

  private static void put(String key, String value) {
    KVGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(token(authenticate("root"))))
        .put(
            PutRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8(key))
                .setValue(ByteString.copyFromUtf8(value))
                .build());
  }

  /** One open response stream: what it received, and how it ended. */
  private static class Received<T> implements StreamObserver<T> {
    final List<T> received = new CopyOnWriteArrayList<>();
    final CompletableFuture<Status> ended = new CompletableFuture<>();

    Status endedWith() throws Exception {
      return ended.get(20, TimeUnit.SECONDS);
    }

    @Override
    public void onNext(T response) {
      received.add(response);
    }

    @Override
    public void onError(Throwable t) {
      ended.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      ended.complete(Status.OK);
    }
  }

  /** One open watch stream. */
  private static final class Watching extends Received<WatchResponse> {
    StreamObserver<WatchRequest> requests;

    static Watching open(String token) {
      Watching w = new Watching();
      w.requests =
          WatchGrpc.newStub(channel)
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(token(token)))
              .watch(w);
      return w;
    }

    /** Creates a watch on the keys under {@code prefix}; returns its id once created. */
    long create(String prefix) {
      int before = created();
      ByteString key = ByteString.copyFromUtf8(prefix);
      ByteString end = ByteString.copyFromUtf8(prefix.substring(0, prefix.length() - 1) + "0");
      requests.onNext(
          WatchRequest.newBuilder()
              .setCreateRequest(WatchCreateRequest.newBuilder().setKey(key).setRangeEnd(end))
              .build());
      await(Duration.ofSeconds(20), () -> created() > before || ended.isDone());
      assertFalse(ended.isDone(), "the watch was created: " + ended);
      return received.stream().filter(WatchResponse::getCreated).toList().get(before).getWatchId();
    }

    int created() {
      return (int) received.stream().filter(WatchResponse::getCreated).count();
    }

    boolean sawKey(String key) {
      return received.stream()
          .flatMap(r -> r.getEventsList().stream())
          .anyMatch(e -> e.getKv().getKey().toStringUtf8().equals(key));
    }

    /** Writes {@code key} and waits until this stream delivered it: the stream is open. */
    void deliversNow(String key) {
      put(key, "v");
      await(Duration.ofSeconds(20), () -> sawKey(key) || ended.isDone());
      assertTrue(sawKey(key), "delivered while allowed; ended: " + ended);
    }
  }

  private static void assertInvalidToken(Status status) {
    assertEquals(Status.Code.UNAUTHENTICATED, status.getCode(), status.toString());
    assertEquals("etcdserver: invalid auth token", status.getDescription());
  }

  @Test
  void aWatchClosesWhenItsTokenIsRevoked() throws Exception {
    user("rita", "rev/", Access.READ);
    Watching w = Watching.open(authenticate("rita"));
    w.create("rev/");
    w.deliversNow("rev/1");
    join(security.revokeTokens("rita"));
    assertInvalidToken(w.endedWith());
  }

  @Test
  void aWatchClosesWhenItsTokenExpires() throws Exception {
    user("ezra", "exp/", Access.READ);
    String shortLived =
        join(security.issueToken("ezra", PASSWORD, Optional.of(Duration.ofSeconds(2)), "test"))
            .token();
    Watching w = Watching.open(shortLived);
    w.create("exp/");
    assertInvalidToken(w.endedWith());
  }

  @Test
  void aWatchClosesWhenItsPermissionIsTakenAway() throws Exception {
    user("pia", "perm/", Access.READ);
    Watching w = Watching.open(authenticate("pia"));
    w.create("perm/");
    w.deliversNow("perm/1");
    join(security.revoke("pia-role", grant("perm/", Access.READ)));
    Status status = w.endedWith();
    assertEquals(Status.Code.PERMISSION_DENIED, status.getCode(), status.toString());
    assertEquals("etcdserver: permission denied", status.getDescription());
  }

  @Test
  void aCancelledWatchNoLongerNeedsItsRange() throws Exception {
    join(security.addRole("cara-a"));
    join(security.grant("cara-a", grant("ca/", Access.READ)));
    join(security.addRole("cara-b"));
    join(security.grant("cara-b", grant("cb/", Access.READ)));
    join(security.addUser("cara", PASSWORD, List.of("cara-a", "cara-b")));
    String token = authenticate("cara");
    Watching kept = Watching.open(token);
    kept.create("ca/");
    long cancelled = kept.create("cb/");
    kept.requests.onNext(
        WatchRequest.newBuilder()
            .setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(cancelled))
            .build());
    await(Duration.ofSeconds(20), () -> kept.received.stream().anyMatch(r -> r.getCanceled()));
    // a second stream still watching cb/ witnesses the revocation being checked
    Watching witness = Watching.open(token);
    witness.create("cb/");
    join(security.revoke("cara-b", grant("cb/", Access.READ)));
    assertEquals(Status.Code.PERMISSION_DENIED, witness.endedWith().getCode());
    kept.deliversNow("ca/after");
    assertFalse(kept.ended.isDone(), "the stream without a cb/ watch stays open");
    kept.requests.onCompleted();
  }

  @Test
  void aJetcdWatcherIsToldItsPermissionWent() throws Exception {
    user("jade", "jet/", Access.READ);
    List<String> keys = new CopyOnWriteArrayList<>();
    CompletableFuture<Throwable> failed = new CompletableFuture<>();
    try (Client jade =
            Client.builder()
                .endpoints("http://127.0.0.1:" + node.etcdAddress().orElseThrow().getPort())
                .user(ByteSequence.from("jade", StandardCharsets.UTF_8))
                .password(ByteSequence.from(PASSWORD, StandardCharsets.UTF_8))
                .build();
        Watch.Watcher watcher =
            jade.getWatchClient()
                .watch(
                    ByteSequence.from("jet/", StandardCharsets.UTF_8),
                    WatchOption.builder().isPrefix(true).build(),
                    Watch.listener(
                        r ->
                            r.getEvents()
                                .forEach(e -> keys.add(e.getKeyValue().getKey().toString())),
                        failed::complete))) {
      await(
          Duration.ofSeconds(20),
          () -> {
            put("jet/" + keys.size(), "v");
            return !keys.isEmpty() || failed.isDone();
          });
      assertFalse(failed.isDone(), "delivered while allowed: " + failed);
      join(security.revoke("jade-role", grant("jet/", Access.READ)));
      Throwable error = failed.get(20, TimeUnit.SECONDS);
      assertTrue(
          String.valueOf(error.getMessage()).contains("etcdserver: permission denied"),
          String.valueOf(error));
    }
  }

  @Test
  void aLeaseKeepAliveStreamClosesWhenItsTokenIsRevoked() throws Exception {
    user("lena", "lease/", Access.READ);
    Metadata metadata = token(authenticate("lena"));
    long lease =
        LeaseGrpc.newBlockingStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata))
            .leaseGrant(LeaseGrantRequest.newBuilder().setTTL(30).build())
            .getID();
    Received<LeaseKeepAliveResponse> answers = new Received<>();
    StreamObserver<LeaseKeepAliveRequest> keepAlive =
        LeaseGrpc.newStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata))
            .leaseKeepAlive(answers);
    keepAlive.onNext(LeaseKeepAliveRequest.newBuilder().setID(lease).build());
    await(Duration.ofSeconds(20), () -> !answers.received.isEmpty() || answers.ended.isDone());
    assertTrue(answers.received.getFirst().getTTL() > 0, answers.received.toString());
    join(security.revokeTokens("lena"));
    assertInvalidToken(answers.endedWith());
  }
}
