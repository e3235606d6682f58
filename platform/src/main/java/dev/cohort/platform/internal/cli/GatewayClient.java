package dev.cohort.platform.internal.cli;

import dev.cohort.cluster.tls.Pem;
import dev.cohort.cluster.tls.ReloadingKeyManager;
import dev.cohort.cluster.tls.SslContexts;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;
import javax.net.ssl.SSLHandshakeException;

/**
 * The CLI's HTTP client for the gateway, built on first use (after picocli has set the options):
 * over HTTPS it trusts {@code --cacert} (else the JDK's CAs) and presents {@code --cert}/{@code
 * --cert-key} when given, for gateways that ask for client certificates. Not thread-safe: one
 * command uses it from one thread.
 */
final class GatewayClient {
  private final Supplier<String> caCert;
  private final Supplier<String> cert;
  private final Supplier<String> certKey;
  private HttpClient client;

  GatewayClient(Supplier<String> caCert, Supplier<String> cert, Supplier<String> certKey) {
    this.caCert = caCert;
    this.cert = cert;
    this.certKey = certKey;
  }

  <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> body)
      throws IOException, InterruptedException {
    try {
      return http().send(request, body);
    } catch (SSLHandshakeException e) {
      throw new SSLHandshakeException(
          e.getMessage() + " (--cacert must name the CA of the gateway's certificate)");
    }
  }

  /** The JDK client itself, for code that sends on its own (the token exchange). */
  HttpClient http() {
    if (client == null) {
      client =
          build(blankIfNull(caCert.get()), blankIfNull(cert.get()), blankIfNull(certKey.get()));
    }
    return client;
  }

  private static HttpClient build(String caCert, String cert, String certKey) {
    if (cert.isBlank() != certKey.isBlank()) {
      throw new ClientCommand.CliException(
          "--cert and --cert-key go together: give both or neither");
    }
    HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
    if (!caCert.isBlank() || !cert.isBlank()) {
      builder.sslContext(
          SslContexts.create(
              cert.isBlank()
                  ? null
                  : ReloadingKeyManager.load(Path.of(cert), Path.of(certKey), Duration.ofDays(1)),
              caCert.isBlank() ? null : Pem.trustManager(Path.of(caCert))));
    }
    return builder.build();
  }

  private static String blankIfNull(String value) {
    return value == null ? "" : value;
  }
}
