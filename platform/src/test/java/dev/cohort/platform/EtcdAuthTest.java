package dev.cohort.platform;

import static dev.cohort.testkit.Await.await;
import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.cohort.security.Access;
import dev.cohort.security.Grant;
import dev.cohort.security.ResourceType;
import dev.cohort.security.Role;
import dev.cohort.security.Security;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.api.AuthGrpc;
import io.etcd.jetcd.api.AuthenticateRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.RangeRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The etcd listener with auth enabled, as etcd's clients use it: {@code etcdctl --user}, jetcd with
 * a user and password, and raw gRPC with the {@code token} metadata. The same users and roles as
 * HTTP decide by key range: allowed, denied, revoked, expired (jetcd authenticates again by
 * itself), no credentials, wrong password.
 */
@Tag("integration")
class EtcdAuthTest {
  private static final String PASSWORD = "etcd-pw-" + UUID.randomUUID();
  private static CohortNode node;
  private static Security security;
  private static String endpoint;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    node =
        Cohort.start(
            HttpTestClient.embeddedNode("cohort-etcd-auth")
                .etcdPort(-1)
                .override("cohort.security.password-iterations", 1000)
                .override("cohort.security.token-ttl", "3s")
                .build());
    port = node.etcdAddress().orElseThrow().getPort();
    endpoint = "http://127.0.0.1:" + port;
    security = node.security();
    join(security.addUser("root", PASSWORD, List.of(Role.ROOT)), Duration.ofSeconds(60));
    join(security.addRole("app-rw"));
    join(security.grant("app-rw", new Grant(ResourceType.KV, "etcd", "app/", Access.WRITE)));
    join(security.addRole("app-reader"));
    join(security.grant("app-reader", new Grant(ResourceType.KV, "etcd", "app/", Access.READ)));
    join(security.addUser("alice", PASSWORD, List.of("app-rw")));
    join(security.addUser("bob", PASSWORD, List.of("app-reader")));
    join(security.setEnabled(true));
    try (Client root = client("root")) {
      root.getKVClient().put(b("app/x"), b("one")).get(60, TimeUnit.SECONDS);
      root.getKVClient().put(b("other/y"), b("two")).get(60, TimeUnit.SECONDS);
    }
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static Client client(String user) {
    return Client.builder().endpoints(endpoint).user(b(user)).password(b(PASSWORD)).build();
  }

  private static ByteSequence b(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static String failure(Runnable call) {
    ExecutionException e =
        assertThrows(
            ExecutionException.class,
            () -> {
              try {
                call.run();
              } catch (RuntimeException r) {
                if (r.getCause() instanceof ExecutionException ee) {
                  throw ee;
                }
                throw r;
              }
            });
    return String.valueOf(e.getCause().getMessage());
  }

  private static void get(Client client, String key) {
    try {
      client.getKVClient().get(b(key)).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  @Test
  void etcdctlWithUserFlag() throws Exception {
    Etcdctl.assumeInstalled();
    Etcdctl etcdctl = new Etcdctl(endpoint);
    assertTrue(etcdctl.ok("--user", "bob:" + PASSWORD, "get", "app/x").contains("one"));
    assertTrue(
        etcdctl.ok("--user", "bob:" + PASSWORD, "get", "app/", "--prefix").contains("app/x"));
    Etcdctl.Result denied = etcdctl.run(null, "--user", "bob:" + PASSWORD, "put", "app/x", "z");
    assertNotEquals(0, denied.exit());
    assertTrue(denied.err().contains("permission denied"), denied.err());
    Etcdctl.Result other = etcdctl.run(null, "--user", "bob:" + PASSWORD, "get", "other/y");
    assertTrue(other.err().contains("permission denied"), other.err());
    Etcdctl.Result all = etcdctl.run(null, "--user", "bob:" + PASSWORD, "get", "", "--prefix");
    assertTrue(all.err().contains("permission denied"), all.err());
    Etcdctl.Result anonymous = etcdctl.run(null, "get", "app/x");
    assertTrue(anonymous.err().contains("user name is empty"), anonymous.err());
    Etcdctl.Result wrong = etcdctl.run(null, "--user", "bob:wrong-password", "get", "app/x");
    assertNotEquals(0, wrong.exit());
    assertTrue(wrong.err().contains("authentication failed"), wrong.err());
    assertEquals(
        "one",
        etcdctl.ok("--user", "alice:" + PASSWORD, "get", "app/x", "--print-value-only").strip());
  }

  @Test
  void jetcdAllowedDeniedTokenRevokedAndGrantRevoked() throws Exception {
    join(security.addRole("temp"));
    join(security.grant("temp", new Grant(ResourceType.KV, "etcd", "tmp/", Access.WRITE)));
    join(security.addUser("carol", PASSWORD, List.of("temp")));
    try (Client carol = client("carol")) {
      carol.getKVClient().put(b("tmp/a"), b("1")).get(30, TimeUnit.SECONDS);
      assertTrue(failure(() -> get(carol, "app/x")).contains("permission denied"));
      // a revoked token: jetcd is told it is invalid and authenticates again with the password
      join(security.revokeTokens("carol"));
      assertEquals(
          1, carol.getKVClient().get(b("tmp/a")).get(30, TimeUnit.SECONDS).getKvs().size());
      join(security.revoke("temp", new Grant(ResourceType.KV, "etcd", "tmp/", Access.WRITE)));
      assertTrue(failure(() -> get(carol, "tmp/a")).contains("permission denied"));
    }
  }

  @Test
  void rawGrpcTokenInMetadataExpires() throws Exception {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      String token =
          AuthGrpc.newBlockingStub(channel)
              .authenticate(
                  AuthenticateRequest.newBuilder().setName("bob").setPassword(PASSWORD).build())
              .getToken();
      Metadata metadata = new Metadata();
      metadata.put(Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER), token);
      KVGrpc.KVBlockingStub kv =
          KVGrpc.newBlockingStub(channel)
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata));
      RangeRequest appX =
          RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("app/x")).build();
      assertEquals(1, kv.range(appX).getKvsCount());
      await(
          Duration.ofSeconds(15),
          () -> {
            try {
              kv.range(appX);
              return false;
            } catch (StatusRuntimeException e) {
              return e.getStatus().getCode() == Status.Code.UNAUTHENTICATED
                  && e.getStatus().getDescription().contains("invalid auth token");
            }
          });
      StatusRuntimeException none =
          assertThrows(
              StatusRuntimeException.class, () -> KVGrpc.newBlockingStub(channel).range(appX));
      assertEquals(Status.Code.INVALID_ARGUMENT, none.getStatus().getCode());
    } finally {
      channel.shutdownNow();
    }
  }
}
