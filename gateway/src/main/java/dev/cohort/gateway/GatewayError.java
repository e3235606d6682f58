package dev.cohort.gateway;

import dev.cohort.persistence.ErrorCode;
import dev.cohort.persistence.ErrorKind;

/**
 * The errors the gateway itself answers with, before or around any service: HTTP-level problems (no
 * route, wrong method, a body that is not JSON) and failures no service described. Services' own
 * codes are declared in their modules.
 */
public enum GatewayError implements ErrorCode {
  /** No route for the method and path. */
  NOT_FOUND(ErrorKind.NOT_FOUND),
  /** The path exists with other methods; the {@code Allow} header lists them. */
  METHOD_NOT_ALLOWED(ErrorKind.METHOD_NOT_ALLOWED),
  /**
   * The request line or headers could not be parsed, or are over a limit (the status says which:
   * 400, 414 URI too long, 431 headers too large).
   */
  MALFORMED_REQUEST(ErrorKind.INVALID),
  /** The body is not JSON; the message names the line and column. */
  MALFORMED_JSON(ErrorKind.INVALID),
  /** A JSON field is missing or breaks its rule; the message names the field. */
  INVALID_FIELD(ErrorKind.INVALID),
  /** The body could not be read as the endpoint expects. */
  MALFORMED_BODY(ErrorKind.INVALID),
  /** The body is over {@code cohort.gateway.max-body-bytes}. */
  BODY_TOO_LARGE(ErrorKind.TOO_LARGE),
  /** The request body did not arrive within the deadline (HTTP 408); nothing was done. */
  BODY_TIMEOUT(ErrorKind.INVALID),
  /** The body is not {@code application/json}. */
  UNSUPPORTED_MEDIA_TYPE(ErrorKind.UNSUPPORTED_MEDIA_TYPE),
  /** A required query parameter is absent. */
  MISSING_PARAMETER(ErrorKind.INVALID),
  /** A query parameter has the wrong form. */
  INVALID_PARAMETER(ErrorKind.INVALID),
  /** The request breaks a rule of the endpoint's. */
  INVALID_REQUEST(ErrorKind.INVALID),
  /** No answer within the deadline; the outcome is unknown. */
  TIMEOUT(ErrorKind.TIMEOUT),
  /** A server-sent event stream failed after its response started. */
  STREAM_FAILED(ErrorKind.UNAVAILABLE),
  /** An unexpected failure; the log has the details, the answer does not. */
  INTERNAL_ERROR(ErrorKind.INTERNAL);

  private final ErrorKind kind;

  GatewayError(ErrorKind kind) {
    this.kind = kind;
  }

  @Override
  public ErrorKind kind() {
    return kind;
  }
}
