package dev.cohort.platform.internal.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The base of every client subcommand: talks JSON to a running node's gateway at {@code
 * --endpoint}. A 4xx/5xx answer becomes a {@link CliException} with the gateway's error code and
 * message, which the CLI prints on stderr with the exit status {@link CliErrors} documents. Answers
 * print in the {@code -o/--output} format, or the subcommand's default. Every request carries the
 * token of {@link Credentials} ({@code --token}, {@code --user}/{@code --password} or their
 * variables).
 */
abstract class ClientCommand {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Option(
      names = "--endpoint",
      defaultValue = "${COHORT_ENDPOINT:-http://127.0.0.1:8080}",
      description = "gateway of a running node (default: ${DEFAULT-VALUE})")
  String endpoint;

  @Mixin Credentials credentials = new Credentials();

  @Option(
      names = "--cacert",
      defaultValue = "${COHORT_CACERT:-}",
      description = "PEM CA certificate of an https:// gateway (env COHORT_CACERT)")
  String caCert;

  @Option(
      names = "--cert",
      defaultValue = "${COHORT_CERT:-}",
      description = "PEM client certificate for a gateway that asks for one (env COHORT_CERT)")
  String cert;

  @Option(
      names = "--cert-key",
      defaultValue = "${COHORT_CERT_KEY:-}",
      description = "PEM private key of --cert (env COHORT_CERT_KEY)")
  String certKey;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      description =
          "output format: simple, table or json (default: simple for values and kv, table for"
              + " lists and describes)")
  OutputFormat output;

  private final GatewayClient client = new GatewayClient(() -> caCert, () -> cert, () -> certKey);

  /**
   * A failed request: the gateway's error code and message, or why the node was unreachable, with
   * the exit status it ends the CLI with.
   */
  static final class CliException extends RuntimeException {
    private final int exitCode;

    CliException(String message) {
      this(CliErrors.FAILED, message);
    }

    CliException(int exitCode, String message) {
      super(message);
      this.exitCode = exitCode;
    }

    int exitCode() {
      return exitCode;
    }
  }

  /** The format asked for with {@code -o}, or {@code whenUnset}, the subcommand's default. */
  OutputFormat format(OutputFormat whenUnset) {
    return output == null ? whenUnset : output;
  }

  /** Prints {@code answer} in the chosen format, {@code whenUnset} without {@code -o}. */
  void show(JsonNode answer, OutputFormat whenUnset) {
    Output.print(format(whenUnset), answer);
  }

  JsonNode get(String path) {
    return send("GET", path, null);
  }

  JsonNode post(String path, Object body) {
    return send("POST", path, body);
  }

  JsonNode put(String path, Object body) {
    return send("PUT", path, body);
  }

  JsonNode patch(String path, Object body) {
    return send("PATCH", path, body);
  }

  JsonNode delete(String path) {
    return send("DELETE", path, null);
  }

  /** A path segment or key, percent-encoded so that any key survives the trip. */
  static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20").replace("%2F", "/");
  }

  private JsonNode send(String method, String path, Object body) {
    try {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(endpoint + path))
              .timeout(Duration.ofMinutes(2))
              .header("Content-Type", "application/json");
      authorize(request);
      request.method(
          method,
          body == null
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(
                  body instanceof String s ? s : JSON.writeValueAsString(body)));
      HttpResponse<String> response =
          client.send(request.build(), HttpResponse.BodyHandlers.ofString());
      JsonNode node =
          response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
      if (response.statusCode() >= 400) {
        JsonNode error = node.path("error");
        throw new CliException(
            CliErrors.forStatus(response.statusCode()),
            error.path("code").asText("http_" + response.statusCode())
                + ": "
                + error.path("message").asText(response.body()));
      }
      return node;
    } catch (ConnectException e) {
      throw unreachable();
    } catch (IOException e) {
      throw new CliException("request to " + endpoint + path + " failed: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted");
    }
  }

  /** Follows a server-sent event stream, handing each event's data to {@code onData}. */
  void stream(String path, Consumer<String> onData, PrintStream err) {
    try {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(endpoint + path)).header("Accept", "text/event-stream");
      authorize(request);
      HttpResponse<InputStream> response =
          client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      if (response.statusCode() >= 400) {
        JsonNode error = JSON.readTree(response.body().readAllBytes()).path("error");
        throw new CliException(
            CliErrors.forStatus(response.statusCode()),
            error.path("code").asText() + ": " + error.path("message").asText());
      }
      try (BufferedReader reader =
          new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = reader.readLine()) != null) {
          if (line.startsWith("data:")) {
            onData.accept(line.substring(5).strip());
          }
        }
      }
      err.println("stream ended");
    } catch (ConnectException e) {
      throw unreachable();
    } catch (IOException e) {
      throw new CliException("stream from " + endpoint + path + " failed: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Adds the bearer token of {@link Credentials}, if any. */
  private void authorize(HttpRequest.Builder request) {
    credentials
        .bearer(endpoint, client.http())
        .ifPresent(token -> request.header("Authorization", "Bearer " + token));
  }

  /** The credentials' password exchanged for a token that lives {@code ttlSeconds}. */
  JsonNode exchangeToken(long ttlSeconds) {
    return credentials.exchange(endpoint, client.http(), ttlSeconds);
  }

  private CliException unreachable() {
    return new CliException(
        "no Cohort node answers at "
            + endpoint
            + " (start one with ./cohort run, or pass --endpoint)");
  }
}
