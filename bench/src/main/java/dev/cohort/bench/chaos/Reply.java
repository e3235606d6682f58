package dev.cohort.bench.chaos;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One HTTP exchange's result: the status and parsed JSON body, or no answer at all (status 0: a
 * timeout, a refused or reset connection).
 *
 * @param status the HTTP status, 0 when no answer arrived
 * @param body the JSON body (a missing node when none or not JSON)
 * @param code the gateway's error code ({@code error.code}), or null
 * @param failure what went wrong when there was no answer, for messages
 */
public record Reply(int status, JsonNode body, String code, String failure) {
  /**
   * The failure of a request whose connection was refused: it was never sent (the JDK client
   * retries no PUT, POST or DELETE on another connection), so a write that got it was not applied.
   */
  static final String REFUSED = "refused";

  /** Whether the connection was refused: nothing was sent. */
  public boolean refused() {
    return !answered() && REFUSED.equals(failure);
  }

  public boolean answered() {
    return status > 0;
  }

  public boolean ok() {
    return status >= 200 && status < 300;
  }

  /**
   * A short description for histories and messages: {@code 200}, {@code 503 not_ready}, {@code
   * timeout}.
   */
  public String describe() {
    if (!answered()) {
      return failure;
    }
    return code == null ? Integer.toString(status) : status + " " + code;
  }
}
