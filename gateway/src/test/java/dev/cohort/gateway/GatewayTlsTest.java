package dev.cohort.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.cluster.tls.DevCertificates;
import dev.cohort.cluster.tls.Pem;
import dev.cohort.cluster.tls.ReloadingKeyManager;
import dev.cohort.cluster.tls.SslContexts;
import dev.cohort.security.AuthDecision;
import dev.cohort.testkit.Await;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway over HTTPS: a certificate from PEM files, replaced while the gateway runs and then
 * served to new connections; client certificates asked for ("want") or required ("need"), verified
 * against the client CA, and the verified subject handed to request handling.
 */
class GatewayTlsTest extends AllDirectives {
  private static final Duration YEAR = Duration.ofDays(365);
  private static final List<String> HOSTS = List.of("localhost", "127.0.0.1");

  @TempDir Path dir;
  private ActorTestKit testKit;
  private DevCertificates.Issued ca;

  @AfterEach
  void shutdown() {
    if (testKit != null) {
      testKit.shutdownTestKit();
    }
  }

  /** Binds a gateway whose one route answers with the client certificate's subject and CN. */
  private String bind(String clientAuth) throws Exception {
    ca = DevCertificates.authority("test CA", YEAR);
    ca.write(dir.resolve("ca.crt"), dir.resolve("ca.key"));
    DevCertificates.node(ca, "server-1", HOSTS, YEAR)
        .write(dir.resolve("server.crt"), dir.resolve("server.key"));
    testKit =
        ActorTestKit.create(
            ConfigFactory.parseString(
                    """
                    pekko.actor.provider = local
                    cohort.gateway { port = 0, tls { enabled = on, cert-file = "%s",
                      key-file = "%s", reload-interval = 0s, client-auth = %s,
                      client-ca-file = "%s" } }
                    """
                        .formatted(
                            dir.resolve("server.crt"),
                            dir.resolve("server.key"),
                            clientAuth,
                            dir.resolve("ca.crt")))
                .withFallback(ConfigFactory.load()));
    GatewaySettings settings = GatewaySettings.create(testKit.system().settings().config());
    Route whoami =
        path(
            "whoami",
            () ->
                extractRequest(
                    request ->
                        complete(
                            ClientCertificate.subject(request)
                                    .map(s -> s.getName())
                                    .orElse("anonymous")
                                + " / "
                                + ClientCertificate.commonName(request).orElse("-"))));
    InetSocketAddress address =
        Gateway.bind(
                testKit.system(),
                settings,
                (token, access, resources) ->
                    CompletableFuture.completedFuture(AuthDecision.allowed("")),
                List.of(whoami))
            .toCompletableFuture()
            .get();
    return "https://localhost:" + address.getPort();
  }

  /** A client trusting the test CA, presenting {@code clientCert} if not null. */
  private HttpClient client(Path clientCert, Path clientKey) {
    SSLContext context =
        SslContexts.create(
            clientCert == null ? null : ReloadingKeyManager.load(clientCert, clientKey, YEAR),
            Pem.trustManager(dir.resolve("ca.crt")));
    return HttpClient.newBuilder()
        .sslContext(context)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  private HttpResponse<String> get(HttpClient client, String url) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static X509Certificate served(HttpResponse<?> response) throws Exception {
    return (X509Certificate) response.sslSession().orElseThrow().getPeerCertificates()[0];
  }

  @Test
  void aReplacedCertificateIsServedToNewConnectionsWithoutARestart() throws Exception {
    String base = bind("none");
    X509Certificate first;
    try (HttpClient client = client(null, null)) {
      HttpResponse<String> response = get(client, base + "/whoami");
      assertEquals(200, response.statusCode());
      assertEquals("anonymous / -", response.body());
      first = served(response);
      assertEquals(Pem.certificates(dir.resolve("server.crt")).getFirst(), first);
    }

    DevCertificates.Issued rotated = DevCertificates.node(ca, "server-2", HOSTS, YEAR);
    rotated.write(dir.resolve("next.crt"), dir.resolve("next.key"));
    Files.move(dir.resolve("next.key"), dir.resolve("server.key"), StandardCopyOption.ATOMIC_MOVE);
    Files.move(dir.resolve("next.crt"), dir.resolve("server.crt"), StandardCopyOption.ATOMIC_MOVE);

    Await.await(
        Duration.ofSeconds(20),
        () -> {
          try (HttpClient fresh = client(null, null)) {
            return served(get(fresh, base + "/whoami")).equals(rotated.certificate());
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
  }

  @Test
  void wantAcceptsClientsWithoutACertificateRefusesUntrustedOnesAndNamesTheSubject()
      throws Exception {
    String base = bind("want");
    writeClients();
    try (HttpClient anonymous = client(null, null);
        HttpClient alice = client(dir.resolve("alice.crt"), dir.resolve("alice.key"));
        HttpClient mallory = client(dir.resolve("mallory.crt"), dir.resolve("mallory.key"))) {
      assertEquals("anonymous / -", get(anonymous, base + "/whoami").body());
      assertEquals("CN=alice,O=Cohort development / alice", get(alice, base + "/whoami").body());
      assertThrows(IOException.class, () -> get(mallory, base + "/whoami"), "another CA's client");
    }
  }

  /** alice's certificate from the test CA, mallory's from another CA. */
  private void writeClients() {
    DevCertificates.client(ca, "alice", YEAR)
        .write(dir.resolve("alice.crt"), dir.resolve("alice.key"));
    DevCertificates.client(DevCertificates.authority("other CA", YEAR), "mallory", YEAR)
        .write(dir.resolve("mallory.crt"), dir.resolve("mallory.key"));
  }

  @Test
  void needRefusesClientsWithoutACertificateOrWithOneOfAnotherCa() throws Exception {
    String base = bind("need");
    writeClients();
    try (HttpClient anonymous = client(null, null);
        HttpClient mallory = client(dir.resolve("mallory.crt"), dir.resolve("mallory.key"));
        HttpClient alice = client(dir.resolve("alice.crt"), dir.resolve("alice.key"))) {
      assertThrows(IOException.class, () -> get(anonymous, base + "/whoami"));
      assertThrows(IOException.class, () -> get(mallory, base + "/whoami"));
      HttpResponse<String> allowed = get(alice, base + "/whoami");
      assertEquals(200, allowed.statusCode());
      assertTrue(allowed.body().endsWith("/ alice"), allowed.body());
    }
  }

  @Test
  void aMissingFileOrClientCaIsRefusedNamingTheKey() {
    var noCa =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                GatewayTlsSettings.create(
                    ConfigFactory.parseString(
                            "cohort.gateway.tls { enabled = on, cert-file = a.crt,"
                                + " key-file = a.key, client-auth = need }")
                        .withFallback(ConfigFactory.load())));
    assertTrue(noCa.getMessage().contains("cohort.gateway.tls.client-ca-file"), noCa.getMessage());
    var badMode =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                GatewayTlsSettings.create(
                    ConfigFactory.parseString("cohort.gateway.tls.client-auth = sometimes")
                        .withFallback(ConfigFactory.load())));
    assertTrue(badMode.getMessage().contains("client-auth"), badMode.getMessage());
    var missing =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                HttpsServer.context(
                    new GatewayTlsSettings(
                        true,
                        dir.resolve("absent.crt"),
                        dir.resolve("absent.key"),
                        YEAR,
                        GatewayTlsSettings.ClientAuth.NONE,
                        Path.of(""))));
    assertTrue(missing.getMessage().contains("absent.crt"), missing.getMessage());
  }
}
