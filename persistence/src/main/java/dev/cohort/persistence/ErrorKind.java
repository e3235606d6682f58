package dev.cohort.persistence;

/**
 * The classes of business error every Cohort service reports. The gateway maps each to one HTTP
 * status; the embedded API throws a {@link CohortException} carrying it. Written by ordinal: add
 * kinds only at the end.
 */
public enum ErrorKind implements CohortSerializable {
  /** The request is malformed or breaks a rule (HTTP 400). */
  INVALID(400),
  /** The named resource does not exist (HTTP 404). */
  NOT_FOUND(404),
  /** The request conflicts with current state (HTTP 409). */
  CONFLICT(409),
  /** The request or a value in it is over a size limit (HTTP 413). */
  TOO_LARGE(413),
  /** The service cannot answer now: not ready, overloaded, or a dependency is down (HTTP 503). */
  UNAVAILABLE(503),
  /** The answer did not come within the deadline; the outcome is unknown (HTTP 504). */
  TIMEOUT(504),
  /** The path exists but not with this method (HTTP 405). */
  METHOD_NOT_ALLOWED(405),
  /** The request's body is in a media type the endpoint does not read (HTTP 415). */
  UNSUPPORTED_MEDIA_TYPE(415),
  /** A failure the service did not expect: a bug, never the caller's fault (HTTP 500). */
  INTERNAL(500),
  /** The request carries no valid credentials: none, unknown, expired or revoked (HTTP 401). */
  UNAUTHENTICATED(401),
  /** The caller is authenticated but its roles do not permit this request (HTTP 403). */
  FORBIDDEN(403),
  /** Too many failed attempts from this user or address; try again later (HTTP 429). */
  TOO_MANY_REQUESTS(429);

  private final int httpStatus;

  ErrorKind(int httpStatus) {
    this.httpStatus = httpStatus;
  }

  public int httpStatus() {
    return httpStatus;
  }
}
