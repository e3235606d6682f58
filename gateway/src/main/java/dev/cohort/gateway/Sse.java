package dev.cohort.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.persistence.CohortException;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletionException;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.pf.PFBuilder;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Server-sent event streams for every service (kv watches, election observers, saga events): a
 * keep-alive comment every {@link #KEEPALIVE} so idle proxies keep the connection, and a stream
 * that fails after the response started ends with an {@code error} event carrying the gateway's one
 * error shape (the status line was already sent).
 */
final class Sse {
  static final Duration KEEPALIVE = Duration.ofSeconds(15);

  private Sse() {}

  /** Completes the request with {@code events} as a {@code text/event-stream}. */
  static Route stream(Source<ServerSentEvent, NotUsed> events) {
    return new AllDirectives() {}.completeOK(
        events
            .recover(new PFBuilder<Throwable, ServerSentEvent>().matchAny(Sse::errorEvent).build())
            .keepAlive(KEEPALIVE, ServerSentEvent::heartbeat),
        EventStreamMarshalling.toEventStream());
  }

  /** An event of {@code type} with JSON {@code data} and, when given, a resume token as its id. */
  static ServerSentEvent event(String type, ObjectNode data, String id) {
    return ServerSentEvent.create(
        data.toString(), Optional.of(type), Optional.ofNullable(id), OptionalInt.empty());
  }

  private static ServerSentEvent errorEvent(Throwable failure) {
    Throwable e =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    ObjectNode body = Json.object();
    ObjectNode error = body.putObject("error");
    if (e instanceof CohortException c) {
      error.put("code", c.code()).put("message", c.getMessage());
    } else {
      error
          .put("code", GatewayError.STREAM_FAILED.code())
          .put("message", "the stream failed: " + e.getClass().getSimpleName());
    }
    return ServerSentEvent.create(body.toString(), "error");
  }
}
