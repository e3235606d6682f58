package dev.cohort.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.pattern.AskTimeoutException;
import org.junit.jupiter.api.Test;

class AskFailuresTest {
  /** A service's own exception type, as KvException is kv's. */
  static final class ServiceException extends CohortException {
    ServiceException(ErrorKind kind, String code, String message, Throwable cause) {
      super(kind, code, message, cause);
    }
  }

  enum ServiceError implements ErrorCode {
    TIMEOUT(ErrorKind.TIMEOUT),
    NOT_READY(ErrorKind.UNAVAILABLE),
    THING_NOT_FOUND(ErrorKind.NOT_FOUND);

    private final ErrorKind kind;

    ServiceError(ErrorKind kind) {
      this.kind = kind;
    }

    @Override
    public ErrorKind kind() {
      return kind;
    }
  }

  private static final AskFailures.Vocabulary<ServiceException> VOCABULARY =
      new AskFailures.Vocabulary<>(
          ServiceException.class,
          ServiceException::new,
          ServiceError.TIMEOUT,
          ServiceError.NOT_READY);

  @Test
  void theServicesOwnExceptionPassesThroughUnwrapped() {
    ServiceException own =
        new ServiceException(ErrorKind.NOT_FOUND, "thing_not_found", "no thing 'x'", null);
    assertSame(own, VOCABULARY.translate(new CompletionException(own), "the thing service"));
    assertSame(
        own,
        VOCABULARY.translate(
            new CompletionException(new ExecutionException(own)), "the thing service"));
  }

  @Test
  void anotherServicesErrorKeepsItsKindCodeAndMessage() {
    CohortException other = new CohortException(ErrorKind.CONFLICT, "key_locked", "locked");
    ServiceException translated = VOCABULARY.translate(other, "the thing service");
    assertEquals(ErrorKind.CONFLICT, translated.kind());
    assertEquals("key_locked", translated.code());
    assertEquals("locked", translated.getMessage());
    assertSame(other, translated.getCause());
  }

  @Test
  void timeoutsAreOutcomeUnknownWithTheServicesCode() {
    for (Throwable timeout :
        new Throwable[] {new AskTimeoutException("ask timed out"), new TimeoutException()}) {
      ServiceException translated =
          VOCABULARY.translate(new CompletionException(timeout), "partition 3");
      assertEquals(ErrorKind.TIMEOUT, translated.kind());
      assertTrue(translated.is(ServiceError.TIMEOUT));
      assertTrue(translated.getMessage().contains("partition 3"), translated.getMessage());
      assertTrue(translated.getMessage().contains("outcome is unknown"), translated.getMessage());
    }
  }

  @Test
  void anythingElseIsUnavailable() {
    ServiceException translated =
        VOCABULARY.translate(new IllegalStateException("journal down"), "the registry");
    assertEquals(ErrorKind.UNAVAILABLE, translated.kind());
    assertEquals("not_ready", translated.code());
    assertTrue(translated.getMessage().contains("journal down"));
  }

  @Test
  void declaredCodesMatchByCodeAndCarryTheirKind() {
    Rejection rejection = Rejection.of(ServiceError.THING_NOT_FOUND, "no thing 'y'");
    assertEquals(ErrorKind.NOT_FOUND, rejection.kind());
    assertEquals("thing_not_found", rejection.code());
    assertTrue(rejection.is(ServiceError.THING_NOT_FOUND));
    assertTrue(!rejection.is(ServiceError.NOT_READY));
    assertTrue(rejection.toException().is(ServiceError.THING_NOT_FOUND));
  }
}
