package dev.cohort.platform.internal.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Console;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * How a client command authenticates, shared by every one of them: a bearer token ({@code --token}
 * or {@code COHORT_TOKEN}), or a user ({@code --user} or {@code COHORT_USER}) whose password comes
 * from {@code --password}, {@code COHORT_PASSWORD} or, on a terminal, a prompt, exchanged once per
 * command for a short-lived token. Neither given: requests go without credentials (a node with auth
 * disabled). A password is never printed, and a token only by {@code auth token}, which is for it.
 */
final class Credentials {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A token the CLI gets for one command lives only as long as the command could. */
  private static final long COMMAND_TOKEN_TTL_SECONDS = 3600;

  @Option(
      names = "--token",
      defaultValue = "${COHORT_TOKEN:-}",
      description = "bearer token to send (default: $COHORT_TOKEN)")
  String token;

  @Option(
      names = "--user",
      defaultValue = "${COHORT_USER:-}",
      description =
          "user to authenticate as when no token is given (default: $COHORT_USER); its password "
              + "comes from --password, $COHORT_PASSWORD or a prompt")
  String user;

  @Option(
      names = "--password",
      defaultValue = "${COHORT_PASSWORD:-}",
      description =
          "password of --user (default: $COHORT_PASSWORD; prefer the variable or the "
              + "prompt: a flag shows in the process list)")
  String password;

  private String obtained;

  /** The token to send, getting one with the user's password first when needed. */
  Optional<String> bearer(String endpoint, HttpClient client) {
    if (!token.isEmpty()) {
      return Optional.of(token);
    }
    if (user.isEmpty()) {
      return Optional.empty();
    }
    if (obtained == null) {
      obtained = exchange(endpoint, client, COMMAND_TOKEN_TTL_SECONDS).path("token").asText();
    }
    return Optional.of(obtained);
  }

  /** {@code POST /v1/auth/tokens} with the user's password; the gateway's answer. */
  JsonNode exchange(String endpoint, HttpClient client, long ttlSeconds) {
    if (user.isEmpty()) {
      throw new ClientCommand.CliException(
          "no user to authenticate as: pass --user or set COHORT_USER");
    }
    String body =
        JSON.createObjectNode()
            .put("user", user)
            .put("password", password())
            .put("ttlSeconds", ttlSeconds)
            .toString();
    try {
      HttpResponse<String> response =
          client.send(
              HttpRequest.newBuilder(URI.create(endpoint + "/v1/auth/tokens"))
                  .timeout(Duration.ofSeconds(30))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      JsonNode node = JSON.readTree(response.body());
      if (response.statusCode() != 201) {
        throw new ClientCommand.CliException(
            node.path("error").path("code").asText("http_" + response.statusCode())
                + ": "
                + node.path("error").path("message").asText());
      }
      return node;
    } catch (IOException e) {
      throw new ClientCommand.CliException(
          "cannot reach " + endpoint + " to authenticate: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClientCommand.CliException("interrupted");
    }
  }

  private String password() {
    if (!password.isEmpty()) {
      return password;
    }
    return prompt("Password for " + user + ": ");
  }

  /** Reads a secret from the terminal without echo; fails when there is no terminal. */
  static String prompt(String question) {
    Console console = System.console();
    if (console == null) {
      throw new ClientCommand.CliException(
          "no password given and no terminal to ask on: set COHORT_PASSWORD or pass --password");
    }
    char[] typed = console.readPassword(question);
    if (typed == null || typed.length == 0) {
      throw new ClientCommand.CliException("no password entered");
    }
    return new String(typed);
  }
}
