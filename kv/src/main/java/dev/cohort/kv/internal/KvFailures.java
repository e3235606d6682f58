package dev.cohort.kv.internal;

import dev.cohort.kv.KvException;
import dev.cohort.persistence.AskFailures;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The CP service's use of the one ask-failure translation ({@link AskFailures}): every failed stage
 * leaves a {@code Kv} operation as a {@link KvException}.
 *
 * <p>Invariants (those of {@link AskFailures}): a {@link KvException} passes through unchanged; any
 * other {@code CohortException} keeps its kind and code; an ask timeout becomes {@code timeout}
 * (504, outcome unknown); anything else becomes {@code unavailable} (503). Stateless and
 * thread-safe. AP keyspaces translate their replicator's failures with the same {@link
 * KvException#from}.
 */
final class KvFailures {
  private KvFailures() {}

  static KvException toKvException(Throwable failure) {
    return KvException.from(failure, "the kv service");
  }

  /** The source once {@code stage} completes; a failed stage fails it with the KvException. */
  static <T> Source<T, NotUsed> lazily(CompletionStage<Source<T, NotUsed>> stage) {
    CompletionStage<Source<T, NotUsed>> unwrapped =
        stage.handle((s, failure) -> failure == null ? s : Source.failed(toKvException(failure)));
    return Source.completionStageSource(unwrapped).mapMaterializedValue(m -> NotUsed.getInstance());
  }
}
