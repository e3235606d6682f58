package dev.cohort.log.internal;

import dev.cohort.log.LogError;
import dev.cohort.log.Producer;
import dev.cohort.log.ProducerRecord;
import dev.cohort.log.ProducerSettings;
import dev.cohort.log.RecordMetadata;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;

/** The {@link Producer} facade over a {@link ProducerActor}. Thread-safe. */
final class ProducerImpl implements Producer {
  private final ActorRef<ProducerActor.Command> actor;
  private final ProducerSettings settings;

  ProducerImpl(ActorRef<ProducerActor.Command> actor, ProducerSettings settings) {
    this.actor = actor;
    this.settings = settings;
  }

  @Override
  public CompletionStage<RecordMetadata> send(ProducerRecord record) {
    CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
    if (record == null || record.topic() == null) {
      result.completeExceptionally(LogError.INVALID_REQUEST.exception("a record needs a topic"));
      return result;
    }
    actor.tell(new ProducerActor.Send(record, result));
    return result;
  }

  @Override
  public CompletionStage<Done> flush() {
    CompletableFuture<Done> result = new CompletableFuture<>();
    actor.tell(new ProducerActor.Flush(result));
    return result;
  }

  /** Blocks until every record sent before has an outcome (at most delivery.timeout.ms). */
  @Override
  public void close() {
    CompletableFuture<Done> result = new CompletableFuture<>();
    actor.tell(new ProducerActor.Close(result));
    try {
      result.get(settings.deliveryTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // the outcome of each record is in its own future
    }
  }
}
