package dev.cohort.kv.internal;

import dev.cohort.kv.KvException;
import dev.cohort.persistence.CohortException;
import dev.cohort.persistence.ErrorKind;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The one place where the CP service turns a failed stage — an ask that timed out, a rejection
 * thrown as an exception, anything else — into the {@link KvException} that {@code Kv} promises.
 *
 * <p>Invariants: a {@link KvException} passes through unchanged; any other {@link CohortException}
 * keeps its kind and code; an ask timeout becomes {@code timeout} (504, outcome unknown); anything
 * else becomes {@code unavailable} (503). Stateless and thread-safe. (AP keyspaces translate their
 * replicator's failures in {@code ApKeyspacesImpl}, with their own timeout message.)
 */
final class AskFailures {
  private AskFailures() {}

  static KvException toKvException(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof KvException e) {
      return e;
    }
    if (cause instanceof CohortException e) {
      return new KvException(e.kind(), e.code(), e.getMessage(), e);
    }
    if (cause instanceof TimeoutException) {
      return new KvException(
          ErrorKind.TIMEOUT, "timeout",
          "no answer within cohort.kv.ask-timeout; the operation may or may not have taken effect",
          cause);
    }
    return new KvException(ErrorKind.UNAVAILABLE, "unavailable", String.valueOf(cause), cause);
  }

  /** The source once {@code stage} completes; a failed stage fails it with the KvException. */
  static <T> Source<T, NotUsed> lazily(CompletionStage<Source<T, NotUsed>> stage) {
    CompletionStage<Source<T, NotUsed>> unwrapped =
        stage.handle((s, failure) -> failure == null ? s : Source.failed(toKvException(failure)));
    return Source.completionStageSource(unwrapped).mapMaterializedValue(m -> NotUsed.getInstance());
  }
}
