package dev.cohort.saga.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cohort.kv.KvError;
import dev.cohort.log.LogError;
import dev.cohort.saga.SagaException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Creating a projection reports kv and log failures with the codes released before the one
 * ask-failure translation: INVALID ones keep their code, other ones become timeout or unavailable.
 */
class ProjectionDependencyFailureTest {

  private static String codeAndStatus(Throwable failure) {
    SagaException e = ProjectionsImpl.dependencyFailure(failure, "the kv service");
    return e.code() + " " + e.kind().httpStatus();
  }

  @Test
  void anInvalidErrorOfKvKeepsItsCode() {
    assertEquals(
        "invalid_keyspace_name 400",
        codeAndStatus(new CompletionException(KvError.INVALID_KEYSPACE_NAME.exception("bad"))));
  }

  @Test
  void otherKvAndLogErrorsBecomeUnavailableOrTimeout() {
    assertEquals("unavailable 503", codeAndStatus(KvError.KEYSPACE_EXISTS.exception("raced")));
    assertEquals("unavailable 503", codeAndStatus(KvError.PARTITION_UNREACHABLE.exception("x")));
    assertEquals("timeout 504", codeAndStatus(LogError.REQUEST_TIMEOUT.exception("slow")));
  }

  @Test
  void failuresWithoutACodeGoThroughTheOneTranslation() {
    assertEquals("timeout 504", codeAndStatus(new TimeoutException("ask")));
    assertEquals("unavailable 503", codeAndStatus(new IllegalStateException("down")));
  }
}
