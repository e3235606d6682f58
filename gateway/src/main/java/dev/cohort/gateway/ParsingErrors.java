package dev.cohort.gateway;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Answers requests so malformed that no route sees them (a request line or header Pekko HTTP cannot
 * parse, a URI or header over its limit, a bad {@code Content-Length}) in the gateway's one error
 * shape: {@code malformed_request} with Pekko's 4xx status (414, 431, …), {@code body_too_large}
 * for a declared length over the transport ceiling. A parse failure Pekko answers with a 5xx (an
 * unknown method, an unsupported HTTP version) is the client's request at fault, so it is a 400.
 * Selected by {@code pekko.http.server.parsing.error-handler}; stateless.
 */
public final class ParsingErrors extends ParsingErrorHandler {
  /** The instance Pekko looks up by class name (as for a Scala object). */
  public static final ParsingErrors MODULE$ = new ParsingErrors();

  @Override
  public HttpResponse handle(
      StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    int code = status.intValue();
    String message = info.formatPretty();
    if (code == 413) {
      return Json.error(GatewayError.BODY_TOO_LARGE, message);
    }
    return Json.error(
        code >= 400 && code < 500 ? code : 400, GatewayError.MALFORMED_REQUEST.code(), message);
  }
}
