package dev.cohort.kv.internal;

import dev.cohort.kv.KvError;
import dev.cohort.kv.KvSettings;
import dev.cohort.observability.Tracing;
import dev.cohort.persistence.AskStages;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Groups this node's writes per partition: at most one {@link KvPartition.Batch} per partition is
 * in flight from this node; writes submitted meanwhile wait and go together in the next batch, so
 * that a partition under load writes many events per journal write. A batch that fails, or is not
 * answered within {@code batch.release-after}, releases the partition: its writers' own asks still
 * get the partition's answer, or time out and report {@code timeout}. While a batch is in flight to
 * a partition whose node this node sees unreachable ({@link PartitionHomes}), further writes to it
 * are refused at once with {@code partition_unreachable} (nothing sent, nothing written) instead of
 * being sent after it to be lost as well; once that node has left, the next batch goes at once.
 *
 * <p>One per node. Local only: its messages never cross the wire.
 */
public final class PartitionBatcher extends AbstractBehavior<PartitionBatcher.Command> {

  public sealed interface Command extends NoSerializationVerificationNeeded {}

  /** Sends {@code write} to partition entity {@code entityId} in its next batch. */
  public record Submit(String entityId, KvPartition.WriteCommand write) implements Command {}

  /** A batch's answer: the node the partition answered from, or why there was none. */
  private record Finished(String entityId, String node, Throwable failure) implements Command {}

  public static Behavior<Command> create(KvSettings settings, PartitionHomes homes) {
    return Behaviors.setup(context -> new PartitionBatcher(context, settings, homes));
  }

  private final KvSettings settings;
  private final ClusterSharding sharding;

  /** Writes waiting per partition whose batch is in flight; a key present means in flight. */
  private final Map<String, ArrayDeque<Queued>> inFlight = new HashMap<>();

  private final Tracing tracing;
  private final PartitionHomes homes;

  /**
   * A write and, when it carries a trace, its {@code kv batcher} span: from submission to leaving
   * in a batch (the wait for the partition's previous batch).
   */
  private record Queued(KvPartition.WriteCommand write, Span span) {}

  private PartitionBatcher(
      ActorContext<Command> context, KvSettings settings, PartitionHomes homes) {
    super(context);
    this.settings = settings;
    this.homes = homes;
    this.sharding = ClusterSharding.get(context.getSystem());
    this.tracing = Tracing.get(context.getSystem());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Submit.class, this::onSubmit)
        .onMessage(Finished.class, this::onFinished)
        .build();
  }

  private Behavior<Command> onSubmit(Submit submit) {
    Queued queued = new Queued(submit.write(), batcherSpan(submit));
    ArrayDeque<Queued> waiting = inFlight.get(submit.entityId());
    if (waiting == null) {
      inFlight.put(submit.entityId(), new ArrayDeque<>());
      send(submit.entityId(), List.of(queued));
      return this;
    }
    if (homes.unreachable(submit.entityId())) {
      // The batch in flight went to a node that stopped answering; this write would be lost too.
      refuse(queued, submit.entityId());
      return this;
    }
    waiting.add(queued);
    if (homes.departed(submit.entityId())) {
      // The batch in flight went to a node that has left: it is lost, do not wait release-after.
      sendNext(submit.entityId());
    }
    return this;
  }

  private void refuse(Queued queued, String entityId) {
    if (queued.span() != null) {
      queued.span().end();
    }
    queued
        .write()
        .replyTo()
        .tell(
            new KvPartition.Rejected(
                KvError.PARTITION_UNREACHABLE.rejection(
                    "the node holding partition "
                        + entityId
                        + " is unreachable; nothing was written, retry (the partition moves once"
                        + " the node is downed)")));
  }

  private Span batcherSpan(Submit submit) {
    if (!(submit.write() instanceof KvPartition.Txn txn) || !tracing.recorded(txn.trace())) {
      return null; // an unsampled write leaves with its carrier as it came
    }
    return tracing
        .tracer()
        .spanBuilder("kv batcher")
        .setParent(tracing.contextOf(txn.trace()))
        .setAttribute("cohort.entity_id", submit.entityId())
        .startSpan();
  }

  private Behavior<Command> onFinished(Finished finished) {
    if (finished.failure() instanceof java.util.concurrent.TimeoutException) {
      getContext()
          .getLog()
          .debug(
              "kv batch to {} unanswered after release-after; sending the next",
              finished.entityId());
    } else if (finished.failure() != null) {
      getContext()
          .getLog()
          .warn("kv batch to {} failed: {}", finished.entityId(), finished.failure().toString());
    }
    homes.answeredFrom(finished.entityId(), finished.node());
    sendNext(finished.entityId());
    return this;
  }

  /** Sends the partition's waiting writes as its next batch, or marks it idle when none wait. */
  private void sendNext(String entityId) {
    ArrayDeque<Queued> waiting = inFlight.get(entityId);
    if (waiting == null || waiting.isEmpty()) {
      inFlight.remove(entityId);
      return;
    }
    int n = Math.min(waiting.size(), settings.batchMaxCommands());
    List<Queued> next = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      next.add(waiting.poll());
    }
    send(entityId, List.copyOf(next));
  }

  /**
   * Sends one batch; a traced write leaves with its batcher span ended and as its trace, so the
   * partition's spans are that span's children.
   */
  private void send(String entityId, List<Queued> queued) {
    List<KvPartition.WriteCommand> writes = new ArrayList<>(queued.size());
    for (Queued q : queued) {
      if (q.span() == null) {
        writes.add(q.write());
        continue;
      }
      q.span().setAttribute("kv.batch.commands", queued.size());
      q.span().end();
      writes.add(
          ((KvPartition.Txn) q.write()).withTrace(tracing.capture(Context.root().with(q.span()))));
    }
    AskStages.ask(
        getContext(),
        KvPartition.BatchDone.class,
        sharding.entityRefFor(KvPartition.ENTITY_TYPE_KEY, entityId),
        settings.batchReleaseAfter(),
        replyTo -> new KvPartition.Batch(List.copyOf(writes), replyTo),
        (done, failure) -> new Finished(entityId, done == null ? null : done.node(), failure));
  }
}
