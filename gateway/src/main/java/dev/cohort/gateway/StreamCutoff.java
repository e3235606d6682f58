package dev.cohort.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.security.AuthDecision;
import dev.cohort.security.PermissionWatch;
import dev.cohort.security.SecurityError;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Ends an authorized streaming response (an SSE watch or observer) once its permission no longer
 * holds: while the body streams, a {@link PermissionWatch} asks the request's decision again every
 * {@code interval}, and when it is no longer "allowed" (token revoked or expired, user deleted,
 * grant revoked) the stream ends, an SSE stream with a last {@code error} event carrying the
 * gateway's error shape. The watch stops when the body ends. Strict (non-streaming) responses pass
 * unchanged: they were checked when the request came in.
 */
final class StreamCutoff {
  private StreamCutoff() {}

  /** A piece of the response body; {@code last} marks the closing event. */
  private record Piece(ByteString bytes, boolean last) {}

  static HttpResponse apply(
      HttpResponse response, Duration interval, Supplier<CompletionStage<AuthDecision>> recheck) {
    HttpEntity entity = response.entity();
    if (entity.isStrict() || entity.isKnownEmpty()) {
      return response;
    }
    boolean sse = entity.getContentType().mediaType().equals(MediaTypes.TEXT_EVENT_STREAM);
    Source<ByteString, ?> body =
        Source.fromMaterializer(
            (materializer, attributes) -> {
              PermissionWatch watch = PermissionWatch.start(interval, recheck);
              Source<Piece, ?> data = entity.getDataBytes().map(bytes -> new Piece(bytes, false));
              Source<Piece, ?> revoked =
                  Source.completionStage(watch.refused())
                      .map(decision -> new Piece(closing(decision, sse), true));
              return data.merge(revoked, true)
                  .takeWhile(piece -> !piece.last(), true)
                  .map(Piece::bytes)
                  .filter(bytes -> !bytes.isEmpty())
                  .watchTermination(
                      (mat, done) -> {
                        done.whenComplete((d, failure) -> watch.stop());
                        return mat;
                      });
            });
    return response.withEntity(HttpEntities.createChunked(entity.getContentType(), body));
  }

  private static ByteString closing(AuthDecision decision, boolean sse) {
    if (!sse) {
      return ByteString.emptyByteString();
    }
    SecurityError code =
        decision.outcome() == AuthDecision.Outcome.DENIED
            ? SecurityError.PERMISSION_DENIED
            : SecurityError.UNAUTHENTICATED;
    ObjectNode body = Json.object();
    body.putObject("error")
        .put("code", code.code())
        .put("message", "the stream's token or permission is no longer valid");
    return ByteString.fromString("event: error\ndata: " + body + "\n\n", StandardCharsets.UTF_8);
  }
}
