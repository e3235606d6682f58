package dev.cohort.cluster;

import dev.cohort.persistence.JournalProbe;
import dev.cohort.persistence.JournalWrites;
import dev.cohort.persistence.PersistenceSettings;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Liveness and readiness of a node. Alive: the process answers. Ready: this node is an Up member of
 * the cluster, its journal database answers, and its embedded journal's writes are not failing (a
 * full disk), so that entity writes can succeed.
 */
public final class NodeHealth {

  /**
   * The outcome of a readiness check.
   *
   * @param ready every condition holds
   * @param memberStatus this node's member status
   * @param journalAnswers whether the journal database answered within the probe timeout
   * @param journalWriteFailure the embedded journal's write failure, while its writes fail
   */
  public record Readiness(
      boolean ready,
      String memberStatus,
      boolean journalAnswers,
      Optional<JournalWrites.Failure> journalWriteFailure) {}

  private final ActorSystem<?> system;
  private final JournalProbe journal;
  private final JournalWrites writes;
  private final Executor blocking;

  public NodeHealth(ActorSystem<?> system) {
    this.system = system;
    this.journal = new JournalProbe(PersistenceSettings.create(system.settings().config()));
    this.writes = JournalWrites.get(system);
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
  }

  /** Checks readiness; the journal probe runs on the blocking dispatcher. */
  public CompletionStage<Readiness> readiness() {
    MemberStatus status = Cluster.get(system).selfMember().status();
    return CompletableFuture.supplyAsync(journal::answers, blocking)
        .thenApply(
            answers -> {
              Optional<JournalWrites.Failure> failure = writes.failure();
              return new Readiness(
                  status == MemberStatus.up() && answers && failure.isEmpty(),
                  ClusterStatus.statusName(status),
                  answers,
                  failure);
            });
  }
}
