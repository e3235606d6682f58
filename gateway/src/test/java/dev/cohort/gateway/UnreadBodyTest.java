package dev.cohort.gateway;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A route that answers without reading the request body (as {@code GET /metrics} does) still has
 * its answer reach the client: the gateway reads the body before routing, so the connection does
 * not close over unread bytes (which resets it and loses the answer in flight).
 */
class UnreadBodyTest extends AllDirectives {
  private static TestGateway gateway;

  @BeforeAll
  static void bind() throws Exception {
    gateway =
        TestGateway.start(
            "cohort.gateway.max-body-bytes = 4MiB",
            Endpoints.route(
                List.of(
                    Endpoint.get(
                        "/big",
                        Guard.open("test"),
                        p ->
                            new UnreadBodyTest()
                                .complete(
                                    Json.ok(Json.object().put("text", "x".repeat(200_000))))))));
  }

  @AfterAll
  static void shutdown() {
    gateway.close();
  }

  @Test
  void anAnswerToARequestWhoseBodyTheRouteIgnoresIsNotLost() throws Exception {
    byte[] body = new byte[1 << 20];
    java.util.Arrays.fill(body, (byte) 'a');
    for (int i = 0; i < 3; i++) {
      String status = exchange(body);
      assertTrue(status.startsWith("HTTP/1.1 200"), "attempt " + i + ": " + status);
    }
  }

  /** The status line of the answer, or what went wrong reading it. */
  private static String exchange(byte[] body) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET /big HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                  + body.length
                  + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      try {
        out.write(body);
      } catch (IOException e) {
        // the answer may already be on its way; read it
      }
      try {
        byte[] answer = socket.getInputStream().readAllBytes();
        String text = new String(answer, StandardCharsets.ISO_8859_1);
        return text.substring(0, Math.max(0, text.indexOf("\r\n")));
      } catch (IOException e) {
        return "no answer: " + e.getMessage();
      }
    }
  }
}
