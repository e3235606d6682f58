package dev.cohort.training.internal;

import dev.cohort.persistence.CohortSerializable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.DeleteMessagesFailure;
import org.apache.pekko.persistence.DeleteMessagesSuccess;
import org.apache.pekko.persistence.Recovery;
import org.apache.pekko.persistence.RecoveryCompleted;

/**
 * Checkpoint chunks in the journal: one persistence id per checkpoint ({@code
 * TrainingCheckpoint|<job>|g<generation>-s<step>}), one {@link ChunkWritten} event per chunk. The
 * chunks are written and read on the node that needs them (the chunk events never cross the wire),
 * by a short-lived persistent actor per operation, so any node sharing the journal can read a
 * checkpoint another node wrote.
 *
 * <p>Why classic persistence: deleting a checkpoint deletes its events ({@code deleteMessages}),
 * which typed persistence offers only as a side effect of snapshot retention.
 *
 * <p>Invariants: a persistence id is written once, by one writer (the id names the generation, and
 * one rank 0 writes per generation and step); a write that finds events already there fails instead
 * of appending. A checkpoint is only read after its manifest ({@link
 * dev.cohort.training.CheckpointInfo}) was committed by the coordinator, which happens after every
 * chunk was durable; reading checks the chunk count. Thread-safe.
 */
final class CheckpointStore {
  private static final AtomicLong NAMES = new AtomicLong();

  /** One chunk of a checkpoint, {@code index} from 0. */
  record ChunkWritten(int index, byte[] bytes) implements CohortSerializable {}

  private final ExtendedActorSystem system;

  CheckpointStore(ActorSystem<?> system) {
    this.system = (ExtendedActorSystem) Adapter.toClassic(system);
  }

  static String persistenceId(String jobId, long generation, long step) {
    return "TrainingCheckpoint|" + jobId + "|g" + generation + "-s" + step;
  }

  /** Completes once every chunk is durable in the journal. */
  CompletionStage<Void> write(String persistenceId, List<byte[]> chunks) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    spawn(persistenceId, new Write(chunks, done));
    return done;
  }

  /** The chunks of a committed checkpoint; fails when not exactly {@code chunks} are stored. */
  CompletionStage<List<byte[]>> read(String persistenceId, int chunks) {
    CompletableFuture<List<byte[]>> done = new CompletableFuture<>();
    spawn(persistenceId, new Read(chunks, done));
    return done;
  }

  /** Deletes every chunk of a checkpoint (nothing to delete is success). */
  CompletionStage<Void> delete(String persistenceId) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    spawn(persistenceId, new Delete(done));
    return done;
  }

  private void spawn(String persistenceId, Operation op) {
    system.systemActorOf(
        Props.create(Chunks.class, () -> new Chunks(persistenceId, op)),
        "cohort-training-checkpoint-" + NAMES.incrementAndGet());
  }

  private sealed interface Operation {}

  private record Write(List<byte[]> chunks, CompletableFuture<Void> done) implements Operation {}

  private record Read(int chunks, CompletableFuture<List<byte[]>> done) implements Operation {}

  private record Delete(CompletableFuture<Void> done) implements Operation {}

  /** Performs one operation on one checkpoint's events, then stops. */
  private static final class Chunks extends AbstractPersistentActor {
    private final String persistenceId;
    private final Operation op;
    private final List<byte[]> read = new ArrayList<>();
    private int persisted;

    Chunks(String persistenceId, Operation op) {
      this.persistenceId = persistenceId;
      this.op = op;
    }

    @Override
    public String persistenceId() {
      return persistenceId;
    }

    @Override
    public Recovery recovery() {
      // Only a read needs the events; a write or delete needs the highest sequence number only.
      return op instanceof Read ? Recovery.create() : Recovery.create(0L);
    }

    @Override
    public Receive createReceiveRecover() {
      return receiveBuilder()
          .match(ChunkWritten.class, c -> read.add(c.bytes()))
          .match(RecoveryCompleted.class, c -> recovered())
          .build();
    }

    private void recovered() {
      switch (op) {
        case Read r -> {
          if (read.size() == r.chunks()) {
            r.done().complete(List.copyOf(read));
          } else {
            r.done()
                .completeExceptionally(
                    new IllegalStateException(
                        "checkpoint "
                            + persistenceId
                            + " has "
                            + read.size()
                            + " chunks, its manifest says "
                            + r.chunks()));
          }
          getContext().stop(getSelf());
        }
        case Write w -> {
          if (lastSequenceNr() > 0) {
            w.done()
                .completeExceptionally(
                    new IllegalStateException(
                        "checkpoint " + persistenceId + " was already written"));
            getContext().stop(getSelf());
            return;
          }
          List<ChunkWritten> events = new ArrayList<>();
          for (int i = 0; i < w.chunks().size(); i++) {
            events.add(new ChunkWritten(i, w.chunks().get(i)));
          }
          persistAll(
              events,
              e -> {
                if (++persisted == events.size()) {
                  w.done().complete(null);
                  getContext().stop(getSelf());
                }
              });
        }
        case Delete d -> {
          if (lastSequenceNr() == 0) {
            d.done().complete(null);
            getContext().stop(getSelf());
          } else {
            deleteMessages(lastSequenceNr());
          }
        }
      }
    }

    @Override
    public Receive createReceive() {
      return receiveBuilder()
          .match(DeleteMessagesSuccess.class, s -> finish(null))
          .match(DeleteMessagesFailure.class, f -> finish(f.cause()))
          .build();
    }

    private void finish(Throwable error) {
      if (op instanceof Delete d) {
        if (error == null) {
          d.done().complete(null);
        } else {
          d.done().completeExceptionally(error);
        }
      }
      getContext().stop(getSelf());
    }

    @Override
    public void onPersistFailure(Throwable cause, Object event, long seqNr) {
      fail(cause);
      super.onPersistFailure(cause, event, seqNr);
    }

    @Override
    public void onPersistRejected(Throwable cause, Object event, long seqNr) {
      fail(cause);
      super.onPersistRejected(cause, event, seqNr);
    }

    @Override
    public void onRecoveryFailure(Throwable cause, scala.Option<Object> event) {
      fail(cause);
      super.onRecoveryFailure(cause, event);
    }

    @Override
    public void postStop() throws Exception {
      super.postStop();
      // A no-op when the operation completed; otherwise (the system shut down) its caller learns.
      fail(
          new IllegalStateException(
              "checkpoint operation on " + persistenceId + " stopped before it completed"));
    }

    private void fail(Throwable cause) {
      switch (op) {
        case Write w -> w.done().completeExceptionally(cause);
        case Read r -> r.done().completeExceptionally(cause);
        case Delete d -> d.done().completeExceptionally(cause);
      }
    }
  }
}
