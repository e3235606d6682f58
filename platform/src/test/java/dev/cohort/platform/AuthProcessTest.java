package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Auth as an operator meets it: a real node process and the real {@code ./cohort} launcher, the
 * credentials in the environment ({@code COHORT_NEW_PASSWORD}, {@code COHORT_USER}/{@code
 * COHORT_PASSWORD}, {@code COHORT_TOKEN}), and afterwards the node's log file searched for every
 * password and token the run used: none may be there, while its audit lines are.
 */
@Tag("fault")
class AuthProcessTest {

  @Test
  void credentialsFromTheEnvironmentAndNoSecretInTheNodeLog() throws Exception {
    String rootPassword = "proc-root-" + UUID.randomUUID();
    String alicePassword = "proc-alice-" + UUID.randomUUID();
    try (NodeProcess node =
        NodeProcess.start(
            Files.createTempDirectory("cohort-auth-process"),
            NodeProcess.freePort(),
            NodeProcess.freePort())) {
      node.awaitReady(Duration.ofSeconds(90));
      var root =
          node.cliWithEnv(
              Map.of("COHORT_NEW_PASSWORD", rootPassword),
              null,
              "auth",
              "user",
              "add",
              "root",
              "--roles",
              "root");
      assertEquals(0, root.exit(), root.err());
      assertEquals(0, node.cli(null, "auth", "enable").exit());
      Map<String, String> asRoot = Map.of("COHORT_USER", "root", "COHORT_PASSWORD", rootPassword);
      assertEquals(0, node.cliWithEnv(asRoot, null, "kv", "put", "app/x", "one").exit());
      assertEquals(0, node.cliWithEnv(asRoot, null, "auth", "role", "add", "reader").exit());
      var grant =
          node.cliWithEnv(
              asRoot,
              null,
              "auth",
              "role",
              "grant",
              "reader",
              "kv",
              "default",
              "--prefix",
              "app/",
              "--access",
              "read");
      assertEquals(0, grant.exit(), grant.err());
      var alice =
          node.cliWithEnv(
              Map.of(
                  "COHORT_USER", "root",
                  "COHORT_PASSWORD", rootPassword,
                  "COHORT_NEW_PASSWORD", alicePassword),
              null,
              "auth",
              "user",
              "add",
              "alice",
              "--roles",
              "reader");
      assertEquals(0, alice.exit(), alice.err());

      var anonymous = node.cli(null, "kv", "get", "app/x");
      assertEquals(1, anonymous.exit());
      assertTrue(anonymous.err().contains("unauthenticated"), anonymous.err());
      var token =
          node.cliWithEnv(
              Map.of("COHORT_USER", "alice", "COHORT_PASSWORD", alicePassword),
              null,
              "auth",
              "token");
      assertEquals(0, token.exit(), token.err());
      String aliceToken = token.out().strip();
      var read = node.cliWithEnv(Map.of("COHORT_TOKEN", aliceToken), null, "kv", "get", "app/x");
      assertEquals(0, read.exit(), read.err());
      assertTrue(read.out().contains("one"), read.out());
      var write =
          node.cliWithEnv(Map.of("COHORT_TOKEN", aliceToken), null, "kv", "put", "app/x", "two");
      assertEquals(1, write.exit());
      assertTrue(write.err().contains("permission_denied"), write.err());

      String log = node.logText();
      assertTrue(log.contains("\"event\":\"permission_denied\""), "audit lines reach the log");
      for (String secret : List.of(rootPassword, alicePassword, aliceToken)) {
        assertFalse(
            log.contains(secret), "a secret is in the node's log: " + secret.substring(0, 6));
      }
    }
  }
}
