package dev.cohort.security;

import static dev.cohort.testkit.Await.await;
import static dev.cohort.testkit.Await.errorCode;
import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The security service on a one-node cluster: users, roles, grants, tokens and the auth switch, and
 * every edge of the permission check (allowed, denied, revoked, expired).
 */
class SecurityServiceTest {
  private static final String PASSWORD = "s3cret-pass";
  private static ActorTestKit kit;
  private static Security security;

  @BeforeAll
  static void start() {
    kit =
        ActorTestKit.create(
            "security-test",
            ConfigFactory.parseString(
                    """
                    pekko.actor.provider = cluster
                    pekko.remote.artery.canonical.hostname = 127.0.0.1
                    pekko.remote.artery.canonical.port = 0
                    pekko.actor.serialize-messages = on
                    pekko.loglevel = WARNING
                    cohort.security.password-iterations = 1000
                    cohort.security.failed-attempts.max = 3
                    """)
                .withFallback(PersistenceTestKitPlugin.getInstance().config())
                .withFallback(PersistenceTestKitSnapshotPlugin.config())
                .withFallback(ConfigFactory.parseResources("cohort-pekko.conf"))
                .withFallback(ConfigFactory.load()));
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    await(Duration.ofSeconds(20), () -> cluster.selfMember().status() == MemberStatus.up());
    security = SecurityService.start(kit.system());
    await(Duration.ofSeconds(60), SecurityServiceTest::answers);
    join(security.addUser("admin", PASSWORD, List.of(Role.ROOT)));
    join(security.setEnabled(true));
  }

  private static boolean answers() {
    try {
      join(security.enabled());
      return true;
    } catch (SecurityException e) {
      return false;
    }
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static AuthDecision decide(String token, Access access, Resource resource) {
    return join(security.decide(Optional.ofNullable(token), access, List.of(resource)));
  }

  @Test
  void allowedDeniedRevokedAndExpired() {
    join(security.addRole("app-reader"));
    join(security.grant("app-reader", new Grant(ResourceType.KV, "default", "app/", Access.READ)));
    join(security.addUser("alice", PASSWORD, List.of("app-reader")));
    String token =
        join(security.issueToken("alice", PASSWORD, Optional.empty(), "10.0.0.1")).token();

    assertTrue(decide(token, Access.READ, Resource.kv("default", "app/x")).allowed());
    AuthDecision write = decide(token, Access.WRITE, Resource.kv("default", "app/x"));
    assertEquals(AuthDecision.Outcome.DENIED, write.outcome());
    assertEquals("alice", write.user());
    assertEquals(
        AuthDecision.Outcome.DENIED,
        decide(token, Access.READ, Resource.kv("default", "other")).outcome());
    assertEquals(
        AuthDecision.MISSING_TOKEN, decide(null, Access.READ, Resource.cluster()).reason());
    assertEquals(
        AuthDecision.INVALID_TOKEN, decide("made-up", Access.READ, Resource.cluster()).reason());

    join(security.revoke("app-reader", new Grant(ResourceType.KV, "default", "app/", Access.READ)));
    assertFalse(decide(token, Access.READ, Resource.kv("default", "app/x")).allowed());

    join(security.revokeToken(token));
    assertEquals(
        AuthDecision.INVALID_TOKEN,
        decide(token, Access.READ, Resource.kv("default", "app/x")).reason());

    String shortLived =
        join(security.issueToken("alice", PASSWORD, Optional.of(Duration.ofSeconds(1)), "x"))
            .token();
    await(
        Duration.ofSeconds(10),
        () ->
            AuthDecision.EXPIRED_TOKEN.equals(
                decide(shortLived, Access.READ, Resource.cluster()).reason()));
  }

  @Test
  void deletingAUserOrChangingItsPasswordEndsItsTokens() {
    join(security.addUser("bob", PASSWORD, List.of(Role.ROOT)));
    String token = join(security.issueToken("bob", PASSWORD, Optional.empty(), "x")).token();
    assertTrue(decide(token, Access.ADMIN, Resource.cluster()).allowed());
    join(security.changePassword("bob", "another-pass"));
    assertFalse(decide(token, Access.ADMIN, Resource.cluster()).allowed());
    assertEquals(
        "authentication_failed",
        errorCode(security.issueToken("bob", PASSWORD, Optional.empty(), "y")));
    String second = join(security.issueToken("bob", "another-pass", Optional.empty(), "x")).token();
    join(security.deleteUser("bob"));
    assertEquals(
        AuthDecision.INVALID_TOKEN, decide(second, Access.READ, Resource.cluster()).reason());
  }

  @Test
  void failedPasswordsAreRateLimitedPerUserAndPerSource() {
    join(security.addUser("carol", PASSWORD, List.of()));
    for (int i = 0; i < 3; i++) {
      assertEquals(
          "authentication_failed",
          errorCode(security.issueToken("carol", "wrong-pass", Optional.empty(), "10.9.9.9")));
    }
    assertEquals(
        "too_many_attempts",
        errorCode(security.issueToken("carol", PASSWORD, Optional.empty(), "10.1.1.1")));
    assertEquals(
        "too_many_attempts",
        errorCode(security.issueToken("admin", PASSWORD, Optional.empty(), "10.9.9.9")));
    assertEquals(
        "admin", join(security.issueToken("admin", PASSWORD, Optional.empty(), "10.2.2.2")).user());
  }

  @Test
  void unknownUsersAndBadInputGetTypedErrorsAndChangeNothing() {
    assertEquals(
        "authentication_failed",
        errorCode(security.issueToken("nobody", PASSWORD, Optional.empty(), "10.3.3.3")));
    assertEquals("invalid_name", errorCode(security.addUser("Bad Name", PASSWORD, List.of())));
    assertEquals("invalid_password", errorCode(security.addUser("dave", "short", List.of())));
    assertEquals("role_not_found", errorCode(security.addUser("dave", PASSWORD, List.of("x"))));
    assertEquals("user_not_found", errorCode(security.user("dave")));
    assertEquals("root_role_built_in", errorCode(security.deleteRole(Role.ROOT)));
    assertEquals(
        "root_role_built_in",
        errorCode(security.grant(Role.ROOT, new Grant(ResourceType.TOPIC, "*", "", Access.READ))));
    assertEquals(
        "invalid_ttl",
        errorCode(security.issueToken("admin", PASSWORD, Optional.of(Duration.ofDays(9)), "z")));
    assertEquals("root_user_required", errorCode(security.deleteUser("admin")));
    assertTrue(join(security.enabled()));
  }
}
