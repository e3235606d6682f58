package dev.cohort.platform;

import static dev.cohort.testkit.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code ./cohort auth …} and the credentials every client command takes ({@code --token}, {@code
 * --user}/{@code --password}, and their variables {@code COHORT_TOKEN}, {@code COHORT_USER}, {@code
 * COHORT_PASSWORD}), run in this JVM against an embedded node: setting up auth from nothing, and
 * every permission edge (allowed, denied, revoked, expired) as the CLI reports it. Picocli reads a
 * variable from the system properties before the environment, which is how the variables are set
 * here; the process tests run the real launcher.
 */
@Tag("integration")
class AuthCliTest {
  private static final String ROOT_PASSWORD = "root-cli-" + UUID.randomUUID();
  private static final String ALICE_PASSWORD = "alice-cli-" + UUID.randomUUID();
  private static CohortNode node;
  private static String endpoint;

  private record Result(int exit, String out, String err) {}

  @BeforeAll
  static void start() throws Exception {
    node =
        Cohort.start(
            HttpTestClient.embeddedNode("cohort-auth-cli")
                .override("cohort.security.password-iterations", 1000)
                .build());
    endpoint = "http://127.0.0.1:" + node.httpAddress().getPort();
    Result root =
        cli("auth", "user", "add", "root", "--roles", "root", "--new-password", ROOT_PASSWORD);
    assertEquals(0, root.exit(), root.err());
    assertEquals(0, cli("auth", "enable").exit());
    assertTrue(cli("auth", "status").out().contains("true"));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  /** Runs the CLI with {@code --endpoint} of the node; stdout and stderr captured. */
  private static synchronized Result cli(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--endpoint");
    all.add(endpoint);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    try (PrintStream capture = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      System.setOut(capture);
      CommandLine line = Main.commandLine();
      line.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
      int exit = line.execute(all.toArray(String[]::new));
      return new Result(
          exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(stdout);
    }
  }

  /** Runs the CLI with {@code variable} set (as a system property, which picocli reads first). */
  private static Result withVariable(String variable, String value, String... args) {
    System.setProperty(variable, value);
    try {
      return cli(args);
    } finally {
      System.clearProperty(variable);
    }
  }

  private static String[] asRoot(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--user", "root", "--password", ROOT_PASSWORD));
    return all.toArray(String[]::new);
  }

  @Test
  void permissionEdgesFromTheCommandLine() {
    assertEquals(0, cli(asRoot("kv", "put", "app/x", "one")).exit());
    assertEquals(0, cli(asRoot("auth", "role", "add", "app-reader")).exit());
    Result granted =
        cli(
            asRoot(
                "auth",
                "role",
                "grant",
                "app-reader",
                "kv",
                "default",
                "--prefix",
                "app/",
                "--access",
                "read"));
    assertEquals(0, granted.exit(), granted.err());
    Result added =
        cli(
            asRoot(
                "auth",
                "user",
                "add",
                "alice",
                "--roles",
                "app-reader",
                "--new-password",
                ALICE_PASSWORD));
    assertEquals(0, added.exit(), added.err());
    Result listed = cli(asRoot("auth", "user", "list"));
    assertTrue(listed.out().contains("alice\tapp-reader"), listed.out());

    // no credentials
    Result anonymous = cli("kv", "get", "app/x");
    assertEquals(1, anonymous.exit());
    assertTrue(anonymous.err().contains("unauthenticated"), anonymous.err());
    // allowed, with the password from the variables
    System.setProperty("COHORT_USER", "alice");
    Result allowed;
    try {
      allowed = withVariable("COHORT_PASSWORD", ALICE_PASSWORD, "kv", "get", "app/x");
    } finally {
      System.clearProperty("COHORT_USER");
    }
    assertEquals(0, allowed.exit(), allowed.err());
    assertTrue(allowed.out().contains("one"), allowed.out());
    // a token from `auth token`, used through COHORT_TOKEN and --token
    Result issued = cli("auth", "token", "--user", "alice", "--password", ALICE_PASSWORD);
    assertEquals(0, issued.exit(), issued.err());
    String token = issued.out().strip();
    assertEquals(0, withVariable("COHORT_TOKEN", token, "kv", "get", "app/x").exit());
    // denied
    Result denied = cli("kv", "put", "app/x", "two", "--token", token);
    assertEquals(1, denied.exit());
    assertTrue(denied.err().contains("permission_denied"), denied.err());
    Result notAdmin = cli("auth", "user", "list", "--token", token);
    assertTrue(notAdmin.err().contains("permission_denied"), notAdmin.err());
    // revoked
    assertEquals(
        0,
        cli(asRoot(
                "auth",
                "role",
                "revoke",
                "app-reader",
                "kv",
                "default",
                "--prefix",
                "app/",
                "--access",
                "read"))
            .exit());
    Result revoked = cli("kv", "get", "app/x", "--token", token);
    assertEquals(1, revoked.exit());
    assertTrue(revoked.err().contains("permission_denied"), revoked.err());
    // expired
    assertEquals(0, cli(asRoot("auth", "user", "grant-role", "alice", "root")).exit());
    String shortLived =
        cli("auth", "token", "--ttl-seconds", "1", "--user", "alice", "--password", ALICE_PASSWORD)
            .out()
            .strip();
    assertEquals(0, cli("kv", "get", "app/x", "--token", shortLived).exit());
    await(
        Duration.ofSeconds(15),
        () -> cli("kv", "get", "app/x", "--token", shortLived).err().contains("unauthenticated"));
    // wrong password, and no password without a terminal to ask on
    Result wrong = cli("kv", "get", "app/x", "--user", "alice", "--password", "wrong-one");
    assertTrue(wrong.err().contains("authentication_failed"), wrong.err());
    Result noTerminal = cli("kv", "get", "app/x", "--user", "alice");
    assertEquals(1, noTerminal.exit());
    assertTrue(noTerminal.err().contains("COHORT_PASSWORD"), noTerminal.err());
    assertEquals(0, cli(asRoot("auth", "user", "delete", "alice")).exit());
    assertTrue(
        cli(asRoot("auth", "user", "list")).out().lines().noneMatch(l -> l.startsWith("alice")));
  }
}
