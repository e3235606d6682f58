package dev.cohort.saga;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.persistence.ErrorKind;
import dev.cohort.persistence.Rejection;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Clients match on the saga service's codes and statuses: a released one must not change. */
class SagaErrorTest {
  private static final List<String> RELEASED =
      List.of(
          "invalid_definition 400",
          "invalid_definition 413",
          "definition_not_found 404",
          "invalid_input 400",
          "context_too_large 413",
          "unknown_function 400",
          "instance_not_found 404",
          "instance_exists 409",
          "invalid_state 409",
          "invalid_request 400",
          "invalid_projection 400",
          "invalid_keyspace_name 400",
          "unknown_topic 400",
          "invalid_sink 400",
          "projection_exists 409",
          "projection_not_found 404",
          "timeout 504",
          "unavailable 503");

  @Test
  void everyReleasedCodeKeepsItsSpellingAndStatus() {
    List<String> declared =
        Arrays.stream(SagaError.values())
            .map(e -> e.code() + " " + e.kind().httpStatus())
            .collect(Collectors.toList());
    assertEquals(RELEASED, declared);
  }

  @Test
  void anOversizedDefinitionIsAnInvalidDefinitionWithStatus413() {
    SagaException e = SagaError.DEFINITION_TOO_LARGE.exception("too big");
    assertEquals(413, e.kind().httpStatus());
    assertTrue(e.is(SagaError.INVALID_DEFINITION));
  }

  @Test
  void exceptionsAndRejectionsCarryTheDeclaredCode() {
    SagaException e = SagaError.INSTANCE_EXISTS.exception("taken");
    assertEquals("instance_exists", e.code());
    assertEquals(409, e.kind().httpStatus());
    Rejection r = SagaError.PROJECTION_NOT_FOUND.rejection("gone");
    assertEquals("projection_not_found", SagaException.of(r).code());
    assertEquals(ErrorKind.NOT_FOUND, SagaException.of(r).kind());
  }

  @Test
  void failedAsksBecomeTimeoutOrUnavailable() {
    SagaException timedOut =
        SagaException.from(new CompletionException(new TimeoutException("ask")), "the x");
    assertEquals("timeout 504", timedOut.code() + " " + timedOut.kind().httpStatus());
    SagaException down = SagaException.from(new IllegalStateException("dead"), "the x");
    assertEquals("unavailable 503", down.code() + " " + down.kind().httpStatus());
    SagaException own = SagaError.INVALID_STATE.exception("no");
    assertEquals(own, SagaException.from(new CompletionException(own), "the x"));
  }
}
