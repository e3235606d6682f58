package dev.cohort.log.internal;

import dev.cohort.log.LogError;
import dev.cohort.log.LogException;
import dev.cohort.log.ProducerRecord;
import dev.cohort.log.ProducerSettings;
import dev.cohort.log.RecordMetadata;
import dev.cohort.log.TopicConfig;
import dev.cohort.log.TopicPartition;
import dev.cohort.persistence.ErrorKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The engine of one {@link dev.cohort.log.Producer}: per partition it fills a batch until {@code
 * batch.size} or {@code linger.ms}, sends at most {@code max.in.flight.requests.per.connection}
 * batches, and retries failed ones with exponential backoff until {@code delivery.timeout.ms}.
 *
 * <p>Ordering with idempotence: each batch gets the partition's next sequence numbers when first
 * sent and keeps them across retries; the partition rejects a sequence that does not follow the
 * last written one ({@code out_of_order_sequence}) and answers a duplicate with its original
 * offsets. After any retriable failure the partition switches to one batch in flight, resending in
 * sequence order, so a lost, duplicated or reordered request never writes a record twice or out of
 * order. When a batch fails for good its sequence numbers are abandoned: the producer waits for its
 * in-flight batches, then starts a new epoch whose sequences restart at 0 (as Kafka does).
 *
 * <p>Local only: its messages carry futures and are never serialized. State is confined to the
 * actor.
 */
final class ProducerActor extends AbstractBehavior<ProducerActor.Command> {

  sealed interface Command extends NoSerializationVerificationNeeded {}

  record Send(ProducerRecord record, CompletableFuture<RecordMetadata> result) implements Command {}

  record Flush(CompletableFuture<Done> result) implements Command {}

  record Close(CompletableFuture<Done> result) implements Command {}

  private record MetadataLoaded(
      String topic, TopicRegistry.TopicMetadata metadata, Throwable failure) implements Command {}

  private record LingerExpired(TopicPartition tp, long batchId) implements Command {}

  private record RetryDue(TopicPartition tp) implements Command {}

  private record Answered(
      TopicPartition tp,
      List<Batch> batches,
      List<Integer> attempts,
      PartitionEntity.Reply reply,
      Throwable failure)
      implements Command {}

  private record Stop() implements Command {}

  /** One batch of one partition; mutable, confined to the actor. */
  private static final class Batch {
    final long id;
    final TopicPartition tp;
    final String topicId;
    final TopicConfig.CompressionType codec;
    final long deadlineNanos;
    final KafkaBatches.Builder builder = new KafkaBatches.Builder();
    final List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    final List<Long> timestamps = new ArrayList<>();
    KafkaBatches.Encoded encoded;
    int baseSequence = -1;
    int epoch;
    int attempts;

    Batch(
        long id,
        TopicPartition tp,
        String topicId,
        TopicConfig.CompressionType codec,
        long deadlineNanos) {
      this.id = id;
      this.tp = tp;
      this.topicId = topicId;
      this.codec = codec;
      this.deadlineNanos = deadlineNanos;
    }
  }

  /** Per-partition send state. */
  private static final class PartitionQueue {
    Batch open;
    final TreeMap<Long, Batch> ready = new TreeMap<>();
    final TreeMap<Long, Batch> inFlight = new TreeMap<>();

    /** Requests sent and not answered; each carries one or more batches. */
    int requestsInFlight;

    int nextSequence;
    int epoch;
    boolean retrying;
    boolean needsNewEpoch;
    long backoffUntilNanos;
  }

  private record Meta(TopicRegistry.TopicMetadata metadata, long loadedNanos) {}

  /** The most payload bytes one produce request carries (several batches of one partition). */
  static final int MAX_REQUEST_BYTES = 1 << 20;

  private final ProducerSettings settings;
  private final ProduceTransport transport;
  private final Function<String, CompletionStage<TopicRegistry.TopicMetadata>> metadataLoader;
  private final Duration metadataMaxAge;
  private final TimerScheduler<Command> timers;
  private final Partitioners partitioners = new Partitioners();
  private final long producerId;
  private final Map<String, Meta> metadata = new HashMap<>();
  private final Map<String, List<Send>> waitingForMetadata = new HashMap<>();
  private final Map<TopicPartition, PartitionQueue> partitions = new HashMap<>();
  private long nextBatchId;
  private CompletableFuture<Done> closing;

  private ProducerActor(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      ProducerSettings settings,
      ProduceTransport transport,
      Function<String, CompletionStage<TopicRegistry.TopicMetadata>> metadataLoader,
      Duration metadataMaxAge) {
    super(context);
    this.timers = timers;
    this.settings = settings;
    this.transport = transport;
    this.metadataLoader = metadataLoader;
    this.metadataMaxAge = metadataMaxAge;
    this.producerId = settings.enableIdempotence() ? ProducerIds.newProducerId() : -1;
  }

  static Behavior<Command> create(
      ProducerSettings settings,
      ProduceTransport transport,
      Function<String, CompletionStage<TopicRegistry.TopicMetadata>> metadataLoader,
      Duration metadataMaxAge) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers ->
                    new ProducerActor(
                        context, timers, settings, transport, metadataLoader, metadataMaxAge)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Send.class, this::onSend)
        .onMessage(MetadataLoaded.class, this::onMetadata)
        .onMessage(LingerExpired.class, this::onLinger)
        .onMessage(RetryDue.class, m -> drained(m.tp()))
        .onMessage(Answered.class, this::onAnswered)
        .onMessage(Flush.class, this::onFlush)
        .onMessage(Close.class, this::onClose)
        .onMessage(Stop.class, m -> Behaviors.stopped())
        .build();
  }

  private Behavior<Command> onSend(Send send) {
    if (closing != null) {
      send.result()
          .completeExceptionally(LogError.PRODUCER_CLOSED.exception("the producer is closed"));
      return this;
    }
    String topic = send.record().topic();
    Meta meta = metadata.get(topic);
    boolean stale =
        meta != null && System.nanoTime() - meta.loadedNanos() > metadataMaxAge.toNanos();
    if (meta == null || stale) {
      boolean loading = waitingForMetadata.containsKey(topic);
      if (meta == null) {
        waitingForMetadata.computeIfAbsent(topic, t -> new ArrayList<>()).add(send);
      } else {
        waitingForMetadata.computeIfAbsent(topic, t -> new ArrayList<>());
      }
      if (!loading) {
        getContext()
            .pipeToSelf(
                metadataLoader.apply(topic), (m, failure) -> new MetadataLoaded(topic, m, failure));
      }
      if (meta == null) {
        return this;
      }
    }
    append(send, meta.metadata());
    return this;
  }

  private Behavior<Command> onMetadata(MetadataLoaded loaded) {
    List<Send> waiting = waitingForMetadata.remove(loaded.topic());
    if (loaded.failure() != null) {
      metadata.remove(loaded.topic());
      if (waiting != null) {
        waiting.forEach(s -> s.result().completeExceptionally(unwrap(loaded.failure())));
      }
      return this;
    }
    metadata.put(loaded.topic(), new Meta(loaded.metadata(), System.nanoTime()));
    if (waiting != null) {
      waiting.forEach(s -> append(s, loaded.metadata()));
    }
    return this;
  }

  private void append(Send send, TopicRegistry.TopicMetadata meta) {
    ProducerRecord record = send.record();
    int partition;
    if (record.partition() != null) {
      partition = record.partition();
      if (partition < 0 || partition >= meta.partitions()) {
        send.result()
            .completeExceptionally(
                LogException.of(ProduceClient.unknownPartition(meta, partition)));
        return;
      }
    } else if (record.key() != null) {
      partition = Partitioners.partitionForKey(record.key(), meta.partitions());
    } else {
      partition = partitioners.stickyPartition(meta.name(), meta.partitions());
    }
    int limit = meta.config().maxMessageBytes() - KafkaBatch.HEADER_BYTES;
    int size = KafkaBatches.estimateSize(record.key(), record.value(), record.headers());
    if (size > limit) {
      send.result()
          .completeExceptionally(
              LogError.RECORD_TOO_LARGE.exception(
                  "a record of about "
                      + size
                      + " bytes is over max.message.bytes = "
                      + meta.config().maxMessageBytes()
                      + " of topic '"
                      + meta.name()
                      + "'"));
      return;
    }
    if (meta.config().cleanupPolicy().compacts() && record.key() == null) {
      send.result()
          .completeExceptionally(
              LogError.INVALID_RECORD.exception(
                  "topic '" + meta.name() + "' is compacted: every record needs a key"));
      return;
    }
    TopicPartition tp = new TopicPartition(meta.name(), partition);
    PartitionQueue queue = partitions.computeIfAbsent(tp, k -> new PartitionQueue());
    int batchLimit = Math.min(settings.batchSize(), limit);
    if (queue.open != null && !queue.open.topicId.equals(meta.topicId())) {
      closeOpen(tp, queue, meta.partitions());
    }
    if (queue.open != null && queue.open.builder.sizeBytes() + size > batchLimit) {
      closeOpen(tp, queue, meta.partitions());
    }
    if (queue.open == null) {
      TopicConfig.CompressionType codec = meta.config().compressionType();
      if (codec == TopicConfig.CompressionType.PRODUCER) {
        codec = settings.compressionType();
      }
      if (codec == TopicConfig.CompressionType.PRODUCER) {
        codec = TopicConfig.CompressionType.NONE;
      }
      queue.open =
          new Batch(
              nextBatchId++,
              tp,
              meta.topicId(),
              codec,
              System.nanoTime() + settings.deliveryTimeout().toNanos());
      LingerExpired linger = new LingerExpired(tp, queue.open.id);
      if (settings.linger().isZero()) {
        getContext().getSelf().tell(linger);
      } else {
        timers.startSingleTimer(tp, linger, settings.linger());
      }
    }
    long timestamp = record.timestamp() != null ? record.timestamp() : System.currentTimeMillis();
    queue.open.builder.add(record.key(), record.value(), record.headers(), timestamp);
    queue.open.futures.add(send.result());
    queue.open.timestamps.add(timestamp);
    if (queue.open.builder.sizeBytes() >= batchLimit) {
      closeOpen(tp, queue, meta.partitions());
      drain(tp, queue);
    }
  }

  private void closeOpen(TopicPartition tp, PartitionQueue queue, int numPartitions) {
    Batch batch = queue.open;
    queue.open = null;
    timers.cancel(tp);
    batch.encoded = batch.builder.build(batch.codec);
    queue.ready.put(batch.id, batch);
    partitioners.onNewBatch(tp.topic(), tp.partition(), numPartitions);
  }

  private Behavior<Command> onLinger(LingerExpired linger) {
    PartitionQueue queue = partitions.get(linger.tp());
    if (queue != null && queue.open != null && queue.open.id == linger.batchId()) {
      Meta meta = metadata.get(linger.tp().topic());
      closeOpen(linger.tp(), queue, meta == null ? 1 : meta.metadata().partitions());
      drain(linger.tp(), queue);
    }
    return this;
  }

  private Behavior<Command> drained(TopicPartition tp) {
    PartitionQueue queue = partitions.get(tp);
    if (queue != null) {
      drain(tp, queue);
    }
    return this;
  }

  /**
   * Sends what the in-flight limit, the retry mode and the backoff allow. A request carries the
   * ready batches of the partition that fit in the in-flight limit (counted in batches) and {@link
   * #MAX_REQUEST_BYTES}; the partition writes them in one journal write (group commit). While
   * retrying: one batch per request and one request in flight, in sequence order.
   */
  private void drain(TopicPartition tp, PartitionQueue queue) {
    long now = System.nanoTime();
    if (now < queue.backoffUntilNanos) {
      // Still backing off (a timer set for a shorter backoff may fire first): look again then.
      timers.startSingleTimer(
          "retry-" + tp, new RetryDue(tp), Duration.ofNanos(queue.backoffUntilNanos - now));
      return;
    }
    while (true) {
      if (queue.needsNewEpoch) {
        if (queue.requestsInFlight > 0) {
          return;
        }
        queue.epoch++;
        queue.nextSequence = 0;
        queue.ready.values().forEach(b -> b.baseSequence = -1);
        queue.needsNewEpoch = false;
        queue.retrying = false;
      }
      // Batches in flight, not requests, are bounded: the partition recognises a retried
      // duplicate among the last five batches of a producer only.
      int room = settings.maxInFlight() - queue.inFlight.size();
      if (queue.ready.isEmpty() || room <= 0) {
        return;
      }
      if (queue.retrying && queue.requestsInFlight > 0) {
        return;
      }
      List<Batch> request = new ArrayList<>();
      long bytes = 0;
      while (!queue.ready.isEmpty()) {
        Batch batch = queue.ready.firstEntry().getValue();
        if (!request.isEmpty()
            && (queue.retrying
                || request.size() >= room
                || bytes + batch.encoded.sizeBytes() > MAX_REQUEST_BYTES)) {
          break;
        }
        queue.ready.pollFirstEntry();
        if (now > batch.deadlineNanos) {
          fail(queue, batch, deliveryTimeout(batch, null));
          if (queue.needsNewEpoch) {
            break;
          }
          continue;
        }
        if (producerId >= 0 && batch.baseSequence < 0) {
          batch.baseSequence = queue.nextSequence;
          batch.epoch = queue.epoch;
          queue.nextSequence += batch.encoded.recordCount();
        }
        request.add(batch);
        bytes += batch.encoded.sizeBytes();
      }
      if (!request.isEmpty()) {
        send(queue, request);
      }
    }
  }

  private void send(PartitionQueue queue, List<Batch> request) {
    Batch first = request.getFirst();
    List<Integer> attempts = new ArrayList<>();
    List<Integer> sequences = new ArrayList<>();
    List<KafkaBatches.Encoded> encoded = new ArrayList<>();
    for (Batch batch : request) {
      batch.attempts++;
      attempts.add(batch.attempts);
      sequences.add(batch.baseSequence);
      encoded.add(batch.encoded);
    }
    Function<org.apache.pekko.actor.typed.ActorRef<PartitionEntity.Reply>, PartitionEntity.Command>
        command =
            replyTo ->
                new PartitionEntity.ProduceBatches(
                    first.topicId,
                    producerId,
                    first.epoch,
                    List.copyOf(sequences),
                    List.copyOf(encoded),
                    replyTo);
    if (settings.acks() == ProducerSettings.Acks.NONE) {
      transport.produce(first.tp, command, settings.requestTimeout());
      for (Batch batch : request) {
        for (int i = 0; i < batch.futures.size(); i++) {
          batch
              .futures
              .get(i)
              .complete(
                  new RecordMetadata(
                      batch.tp.topic(), batch.tp.partition(), -1, batch.timestamps.get(i)));
        }
      }
      return;
    }
    request.forEach(b -> queue.inFlight.put(b.id, b));
    queue.requestsInFlight++;
    List<Batch> batches = List.copyOf(request);
    List<Integer> sent = List.copyOf(attempts);
    getContext()
        .pipeToSelf(
            transport.produce(first.tp, command, settings.requestTimeout()),
            (reply, failure) -> new Answered(first.tp, batches, sent, reply, failure));
  }

  private Behavior<Command> onAnswered(Answered answered) {
    PartitionQueue queue = partitions.get(answered.tp());
    queue.requestsInFlight--;
    for (int i = 0; i < answered.batches().size(); i++) {
      Batch batch = answered.batches().get(i);
      if (queue.inFlight.get(batch.id) != batch || batch.attempts != answered.attempts().get(i)) {
        continue;
      }
      queue.inFlight.remove(batch.id);
      PartitionEntity.Reply result =
          answered.reply() instanceof PartitionEntity.AppendedBatches all
                  && all.results().size() == answered.batches().size()
              ? all.results().get(i)
              : answered.reply();
      onResult(queue, batch, result, answered.failure());
    }
    drain(answered.tp(), queue);
    return this;
  }

  private void onResult(
      PartitionQueue queue, Batch batch, PartitionEntity.Reply result, Throwable failure) {
    if (result instanceof PartitionEntity.Appended appended) {
      for (int i = 0; i < batch.futures.size(); i++) {
        long ts =
            appended.logAppendTime() >= 0 ? appended.logAppendTime() : batch.timestamps.get(i);
        batch
            .futures
            .get(i)
            .complete(
                new RecordMetadata(
                    batch.tp.topic(), batch.tp.partition(), appended.baseOffset() + i, ts));
      }
      if (queue.retrying
          && queue.inFlight.isEmpty()
          && queue.ready.values().stream().noneMatch(b -> b.attempts > 0)) {
        queue.retrying = false;
      }
    } else if (result instanceof PartitionEntity.Rejected rejected) {
      var r = rejected.rejection();
      boolean retriable =
          r.is(LogError.OUT_OF_ORDER_SEQUENCE)
              || r.kind() == ErrorKind.UNAVAILABLE
              || r.kind() == ErrorKind.TIMEOUT;
      if (r.is(LogError.UNKNOWN_TOPIC_OR_PARTITION)) {
        metadata.remove(batch.tp.topic());
      }
      if (r.is(LogError.UNKNOWN_PRODUCER_ID)) {
        // The partition forgot this producer (producer-id-expiration): nothing was written;
        // resend under a new epoch whose sequences start at 0.
        queue.needsNewEpoch = true;
        retry(queue, batch, LogException.of(r));
      } else if (retriable) {
        retry(queue, batch, LogException.of(r));
      } else {
        fail(queue, batch, LogException.of(r));
      }
    } else {
      retry(queue, batch, failure != null ? failure : new IllegalStateException("no answer"));
    }
  }

  private void retry(PartitionQueue queue, Batch batch, Throwable cause) {
    if (batch.attempts > settings.retries() || System.nanoTime() > batch.deadlineNanos) {
      fail(queue, batch, deliveryTimeout(batch, cause));
      return;
    }
    queue.ready.put(batch.id, batch);
    queue.retrying = true;
    long backoff =
        Math.min(
            settings.retryBackoff().toNanos() << Math.min(20, batch.attempts - 1),
            settings.retryBackoffMax().toNanos());
    queue.backoffUntilNanos = Math.max(queue.backoffUntilNanos, System.nanoTime() + backoff);
    timers.startSingleTimer("retry-" + batch.tp, new RetryDue(batch.tp), Duration.ofNanos(backoff));
  }

  private void fail(PartitionQueue queue, Batch batch, Throwable cause) {
    batch.futures.forEach(f -> f.completeExceptionally(unwrap(cause)));
    if (producerId >= 0 && batch.baseSequence >= 0) {
      queue.needsNewEpoch = true;
    }
  }

  private LogException deliveryTimeout(Batch batch, Throwable cause) {
    if (cause instanceof LogException e
        && e.kind() != ErrorKind.TIMEOUT
        && !e.is(LogError.OUT_OF_ORDER_SEQUENCE)) {
      return e;
    }
    return LogError.DELIVERY_TIMEOUT.exception(
        "batch for "
            + batch.tp
            + " not acknowledged after "
            + batch.attempts
            + " attempts within delivery.timeout.ms"
            + (cause == null ? "" : ": " + cause.getMessage()),
        cause);
  }

  private static Throwable unwrap(Throwable t) {
    Throwable cause = t;
    while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  private Behavior<Command> onFlush(Flush flush) {
    pendingAfterSendingAll().whenComplete((d, e) -> flush.result().complete(Done.getInstance()));
    return this;
  }

  private CompletableFuture<Void> pendingAfterSendingAll() {
    List<CompletableFuture<RecordMetadata>> pending = new ArrayList<>();
    waitingForMetadata.values().forEach(l -> l.forEach(s -> pending.add(s.result())));
    partitions.forEach(
        (tp, queue) -> {
          if (queue.open != null) {
            Meta meta = metadata.get(tp.topic());
            closeOpen(tp, queue, meta == null ? 1 : meta.metadata().partitions());
          }
          queue.ready.values().forEach(b -> pending.addAll(b.futures));
          queue.inFlight.values().forEach(b -> pending.addAll(b.futures));
          drain(tp, queue);
        });
    return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
        .exceptionally(e -> null);
  }

  private Behavior<Command> onClose(Close close) {
    if (closing == null) {
      closing = close.result();
      var self = getContext().getSelf();
      pendingAfterSendingAll()
          .whenComplete(
              (d, e) -> {
                close.result().complete(Done.getInstance());
                self.tell(new Stop());
              });
    } else {
      closing.whenComplete((d, e) -> close.result().complete(Done.getInstance()));
    }
    return this;
  }
}
