package dev.cohort.cluster;

import dev.cohort.persistence.JournalProbe;
import dev.cohort.persistence.PersistenceSettings;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Liveness and readiness of a node. Alive: the process answers. Ready: this node is an Up member of
 * the cluster and its journal database answers, so that entity writes can succeed.
 */
public final class NodeHealth {

  /**
   * The outcome of a readiness check.
   *
   * @param ready both conditions hold
   * @param memberStatus this node's member status
   * @param journalAnswers whether the journal database answered within the probe timeout
   */
  public record Readiness(boolean ready, String memberStatus, boolean journalAnswers) {}

  private final ActorSystem<?> system;
  private final JournalProbe journal;
  private final Executor blocking;

  public NodeHealth(ActorSystem<?> system) {
    this.system = system;
    this.journal = new JournalProbe(PersistenceSettings.create(system.settings().config()));
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
  }

  /** Checks readiness; the journal probe runs on the blocking dispatcher. */
  public CompletionStage<Readiness> readiness() {
    MemberStatus status = Cluster.get(system).selfMember().status();
    return CompletableFuture.supplyAsync(journal::answers, blocking)
        .thenApply(
            answers ->
                new Readiness(
                    status == MemberStatus.up() && answers,
                    ClusterStatus.statusName(status),
                    answers));
  }
}
