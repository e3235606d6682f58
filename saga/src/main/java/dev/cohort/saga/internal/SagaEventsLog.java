package dev.cohort.saga.internal;

import dev.cohort.log.LogError;
import dev.cohort.log.LogException;
import dev.cohort.log.ProducerRecord;
import dev.cohort.log.StreamLog;
import dev.cohort.saga.SagaSettings;
import dev.cohort.saga.SagaUpdate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes instance changes as JSON to the events topic ({@code cohort.saga.events.topic}),
 * creating it on first use. Best effort: a failed publish is logged and dropped; the instance's
 * journal stays the source of truth. Thread-safe.
 */
final class SagaEventsLog {
  private static final Logger LOG = LoggerFactory.getLogger(SagaEventsLog.class);

  private final StreamLog log;
  private final SagaSettings settings;
  private final AtomicReference<CompletableFuture<Void>> ready = new AtomicReference<>();

  SagaEventsLog(StreamLog log, SagaSettings settings) {
    this.log = log;
    this.settings = settings;
  }

  /** Creates the topic when missing; a later call tries again after a failure. */
  CompletionStage<Void> ensureTopic() {
    CompletableFuture<Void> current = ready.get();
    if (current != null && !current.isCompletedExceptionally()) {
      return current;
    }
    CompletableFuture<Void> next =
        log.createTopic(settings.eventsTopic(), settings.eventsTopicPartitions(), Map.of())
            .<Void>handle(
                (created, failure) -> {
                  if (failure == null || isExists(failure)) {
                    return null;
                  }
                  throw new IllegalStateException(
                      "cannot create " + settings.eventsTopic(), failure);
                })
            .toCompletableFuture();
    ready.set(next);
    return next;
  }

  private static boolean isExists(Throwable failure) {
    Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
    return cause instanceof LogException e && e.is(LogError.TOPIC_ALREADY_EXISTS);
  }

  void publish(SagaUpdate update) {
    if (!settings.publishEvents()) {
      return;
    }
    ProducerRecord record = ProducerRecord.of(settings.eventsTopic(), update.id(), update.toJson());
    ensureTopic()
        .thenCompose(ignored -> log.send(settings.eventsTopic(), List.of(record)))
        .whenComplete(
            (done, failure) -> {
              if (failure != null) {
                LOG.warn(
                    "saga {}: could not publish {} to {}: {}",
                    update.id(),
                    update.event(),
                    settings.eventsTopic(),
                    failure.toString());
              }
            });
  }
}
