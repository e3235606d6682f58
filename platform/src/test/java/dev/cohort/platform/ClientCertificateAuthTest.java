package dev.cohort.platform;

import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.cluster.tls.DevCertificates;
import dev.cohort.cluster.tls.Pem;
import dev.cohort.cluster.tls.ReloadingKeyManager;
import dev.cohort.cluster.tls.SslContexts;
import dev.cohort.security.Access;
import dev.cohort.security.Grant;
import dev.cohort.security.ResourceType;
import dev.cohort.security.Security;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Client-certificate authentication with auth enabled: the gateway maps a verified certificate's CN
 * to the user of that name, who then has exactly that user's permissions; a CN that names no user,
 * and a request without certificate or token, are unauthenticated; a bearer token wins over the
 * certificate.
 */
@Tag("integration")
class ClientCertificateAuthTest {
  private static final Duration DAY = Duration.ofDays(1);
  private static final String ROOT_PASSWORD = "root-pw-" + UUID.randomUUID();
  private static Path certs;
  private static CohortNode node;
  private static String base;
  private static String rootToken;

  @BeforeAll
  static void start() throws Exception {
    certs = Files.createTempDirectory("cohort-cert-auth");
    DevCertificates.Issued ca = DevCertificates.authority("test CA", DAY);
    ca.write(certs.resolve("ca.crt"), certs.resolve("ca.key"));
    DevCertificates.node(ca, "node", List.of("localhost"), DAY)
        .write(certs.resolve("node.crt"), certs.resolve("node.key"));
    for (String user : List.of("alice", "mallory")) {
      DevCertificates.client(ca, user, DAY)
          .write(certs.resolve(user + ".crt"), certs.resolve(user + ".key"));
    }
    node =
        Cohort.start(
            HttpTestClient.embeddedNode("cohort-cert-auth")
                .override("cohort.security.password-iterations", 1000)
                .override("cohort.gateway.tls.enabled", true)
                .override("cohort.gateway.tls.cert-file", certs.resolve("node.crt").toString())
                .override("cohort.gateway.tls.key-file", certs.resolve("node.key").toString())
                .override("cohort.gateway.tls.client-auth", "want")
                .override("cohort.gateway.tls.client-ca-file", certs.resolve("ca.crt").toString())
                .build());
    base = "https://localhost:" + node.httpAddress().getPort();
    Security security = node.security();
    join(security.addRole("reader"));
    join(security.grant("reader", new Grant(ResourceType.KV, "default", "", Access.READ)));
    join(security.addUser("root", ROOT_PASSWORD, List.of("root")));
    join(security.addUser("alice", "alice-pw-" + UUID.randomUUID(), List.of("reader")));
    join(security.setEnabled(true));
    rootToken = join(security.issueToken("root", ROOT_PASSWORD, Optional.empty(), "test")).token();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static HttpResponse<String> send(
      String user, String token, String method, String path, String body) throws Exception {
    HttpClient client =
        HttpClient.newBuilder()
            .sslContext(
                SslContexts.create(
                    user == null
                        ? null
                        : ReloadingKeyManager.load(
                            certs.resolve(user + ".crt"), certs.resolve(user + ".key"), DAY),
                    Pem.trustManager(certs.resolve("ca.crt"))))
            .build();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    try (client) {
      return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
  }

  @Test
  void theCertificatesCnIsTheUserWithThatUsersPermissions() throws Exception {
    String key = "/v1/kv/default/keys/cert-auth";
    HttpResponse<String> put = send("alice", null, "PUT", key, "{\"value\":\"v\"}");
    assertEquals(403, put.statusCode(), put.body());
    assertTrue(put.body().contains("'alice'"), put.body());

    HttpResponse<String> asRoot = send("alice", rootToken, "PUT", key, "{\"value\":\"v\"}");
    assertEquals(200, asRoot.statusCode(), "a bearer token wins: " + asRoot.body());

    HttpResponse<String> read = send("alice", null, "GET", key, null);
    assertEquals(200, read.statusCode(), read.body());
    assertTrue(read.body().contains("\"v\""), read.body());

    String[] asAlice = {
      "--endpoint=" + base,
      "--cacert=" + certs.resolve("ca.crt"),
      "--cert=" + certs.resolve("alice.crt"),
      "--cert-key=" + certs.resolve("alice.key")
    };
    assertEquals(0, cli(asAlice, "kv", "get", "cert-auth"), "the CLI reads as alice");
    assertEquals(1, cli(asAlice, "kv", "put", "cert-auth", "w"), "and may not write");
  }

  private static int cli(String[] options, String... command) {
    return new CommandLine(new Main())
        .execute(Stream.concat(Stream.of(command), Stream.of(options)).toArray(String[]::new));
  }

  @Test
  void aCnThatNamesNoUserAndNoCredentialsAtAllAreUnauthenticated() throws Exception {
    String key = "/v1/kv/default/keys/cert-auth";
    HttpResponse<String> unknown = send("mallory", null, "GET", key, null);
    assertEquals(401, unknown.statusCode(), unknown.body());
    assertTrue(unknown.body().contains("names no user"), unknown.body());
    assertEquals(
        "Bearer realm=\"cohort\"",
        unknown.headers().firstValue("WWW-Authenticate").orElse(""),
        "no token was sent, so no invalid_token error");

    HttpResponse<String> anonymous = send(null, null, "GET", key, null);
    assertEquals(401, anonymous.statusCode(), anonymous.body());
  }
}
