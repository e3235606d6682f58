package dev.cohort.gateway;

import dev.cohort.persistence.CohortException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Allow;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedQueryParamRejection;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.MissingQueryParamRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.server.UnsupportedRequestContentTypeRejection;
import org.apache.pekko.http.javadsl.server.ValidationRejection;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.http.scaladsl.model.IllegalRequestException;
import org.apache.pekko.pattern.AskTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns every failure into the one JSON error shape with the right status: business errors ({@link
 * CohortException}) by their kind, timeouts as 504, oversized bodies as 413, requests Pekko HTTP
 * found illegal while reading them by their 4xx status, Pekko HTTP's rejections (no route, wrong
 * method, bad query parameter) as 4xx, and anything unexpected as 500 with a log line — never an
 * HTML page or a dropped connection.
 */
final class ErrorHandling extends AllDirectives {
  private static final Logger log = LoggerFactory.getLogger(ErrorHandling.class);

  Route handle(java.util.function.Supplier<Route> inner) {
    return handleExceptions(exceptions(), () -> handleRejections(rejections(), inner));
  }

  private ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder().matchAny(e -> complete(toResponse(e))).build();
  }

  static HttpResponse toResponse(Throwable thrown) {
    Throwable e = unwrap(thrown);
    if (e instanceof CohortException c) {
      return Json.error(c.kind().httpStatus(), c.code(), c.getMessage());
    }
    if (e instanceof AskTimeoutException || e instanceof TimeoutException) {
      return Json.error(
          GatewayError.TIMEOUT,
          "no answer within the deadline; the outcome is unknown: " + e.getMessage());
    }
    if (e instanceof EntityStreamSizeException size) {
      return Json.error(GatewayError.BODY_TOO_LARGE, tooLarge(size));
    }
    if (e instanceof IllegalRequestException bad && bad.status().intValue() / 100 == 4) {
      int status = bad.status().intValue();
      String message = bad.info().formatPretty();
      return switch (status) {
        case 413 -> Json.error(GatewayError.BODY_TOO_LARGE, message);
        case 408 -> Json.error(status, GatewayError.BODY_TIMEOUT.code(), message);
        default -> Json.error(status, GatewayError.MALFORMED_REQUEST.code(), message);
      };
    }
    log.error("unexpected failure while handling a request", e);
    return Json.error(GatewayError.INTERNAL_ERROR, "unexpected " + e.getClass().getSimpleName());
  }

  private static String tooLarge(EntityStreamSizeException size) {
    return "request body is larger than the limit of " + size.limit() + " bytes";
  }

  private static Throwable unwrap(Throwable e) {
    Throwable current = e;
    while ((current instanceof CompletionException || current instanceof ExecutionException)
        && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }

  /** 405 naming the allowed methods, in the body and in the {@code Allow} header HTTP requires. */
  private static HttpResponse methodNotAllowed(List<MethodRejection> rejections) {
    HttpMethod[] allowed =
        rejections.stream().map(MethodRejection::supported).distinct().toArray(HttpMethod[]::new);
    String names = Arrays.stream(allowed).map(HttpMethod::name).collect(Collectors.joining(", "));
    return Json.error(GatewayError.METHOD_NOT_ALLOWED, "allowed methods: " + names)
        .addHeader(Allow.create(allowed));
  }

  private RejectionHandler rejections() {
    return RejectionHandler.newBuilder()
        .handle(
            MalformedRequestContentRejection.class,
            r ->
                r.getCause() instanceof EntityStreamSizeException size
                    ? complete(Json.error(GatewayError.BODY_TOO_LARGE, tooLarge(size)))
                    : complete(Json.error(GatewayError.MALFORMED_BODY, r.message())))
        .handle(
            UnsupportedRequestContentTypeRejection.class,
            r -> complete(Json.error(GatewayError.UNSUPPORTED_MEDIA_TYPE, "send application/json")))
        .handle(
            MissingQueryParamRejection.class,
            r ->
                complete(
                    Json.error(
                        GatewayError.MISSING_PARAMETER,
                        "query parameter '" + r.parameterName() + "' is required")))
        .handle(
            MalformedQueryParamRejection.class,
            r ->
                complete(
                    Json.error(
                        GatewayError.INVALID_PARAMETER,
                        "query parameter '" + r.parameterName() + "': " + r.errorMsg())))
        .handle(
            ValidationRejection.class,
            r -> complete(Json.error(GatewayError.INVALID_REQUEST, r.message())))
        .handleAll(MethodRejection.class, rs -> complete(methodNotAllowed(rs)))
        .handleNotFound(
            extractRequest(
                request ->
                    complete(
                        Json.error(
                            GatewayError.NOT_FOUND,
                            "no route for "
                                + request.method().name()
                                + " "
                                + request.getUri().path()))))
        .build()
        .seal();
  }
}
