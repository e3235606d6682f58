package dev.cohort.cluster;

import dev.cohort.cluster.internal.CrashDetector;
import dev.cohort.cluster.internal.SharedJournalRule;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.SelfUp;
import org.apache.pekko.cluster.typed.Subscribe;

/** Joining the cluster: seed nodes from configuration, or the node alone. */
public final class Membership {
  private Membership() {}

  /**
   * Makes a node without seed nodes join itself, forming a one-node cluster. Nodes with seeds join
   * them automatically (Pekko reads {@code pekko.cluster.seed-nodes}).
   */
  public static void joinIfAlone(ActorSystem<?> system, NodeSettings settings) {
    if (settings.seeds().isEmpty()) {
      Cluster cluster = Cluster.get(system);
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
  }

  /**
   * Starts downing members whose process is gone as soon as their remoting port refuses
   * connections, when {@code cohort.cluster.crash-detection.enabled} is on (see {@link
   * CrashDetectionSettings}).
   */
  public static void downCrashedMembers(ActorSystem<?> system, CrashDetectionSettings settings) {
    if (settings.enabled()) {
      system.systemActorOf(CrashDetector.create(settings), "cohort-crash-detector", Props.empty());
    }
  }

  /** Completes when this node's member status becomes Up, or fails after {@code timeout}. */
  public static CompletionStage<Void> whenUp(ActorSystem<?> system, Duration timeout) {
    CompletableFuture<Void> up = new CompletableFuture<>();
    ActorRef<SelfUp> listener =
        system.systemActorOf(
            completeOnSelfUp(up), "cohort-self-up-" + System.nanoTime(), Props.empty());
    Cluster.get(system).subscriptions().tell(Subscribe.create(listener, SelfUp.class));
    return up.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Pekko sends SelfUp once, then the subscriber may stop. */
  private static Behavior<SelfUp> completeOnSelfUp(CompletableFuture<Void> up) {
    return Behaviors.receiveMessage(
        selfUp -> {
          up.complete(null);
          return Behaviors.stopped();
        });
  }

  /**
   * Makes a node that the cluster refuses to join (see {@link SharedJournalRule}) say why and what
   * to do, whenever the refusal comes: Pekko's own message does not name Cohort's settings, and the
   * refusal may end the node before it has finished starting.
   */
  public static void explainRefusedJoin(ActorSystem<?> system) {
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(
        CoordinatedShutdown.PhaseBeforeServiceUnbind(),
        "cohort-explain-refused-join",
        () -> {
          if (shutdown.getShutdownReason().orElse(null)
              == CoordinatedShutdown.incompatibleConfigurationDetectedReason()) {
            org.slf4j.LoggerFactory.getLogger(Membership.class).error("{}", endReason(system));
          }
          return java.util.concurrent.CompletableFuture.completedFuture(
              org.apache.pekko.Done.done());
        });
  }

  /**
   * Whether this node stopped because it left the cluster gracefully, as an operator asks with
   * {@code PUT /v1/cluster/members/{address}} and {@code {"operation":"leave"}}: a deliberate stop,
   * unlike being downed.
   */
  public static boolean leftOnRequest(ActorSystem<?> system) {
    return CoordinatedShutdown.get(system)
        .getShutdownReason()
        .filter(reason -> reason == CoordinatedShutdown.clusterLeavingReason())
        .isPresent();
  }

  /**
   * Why this node's membership ended, for a node that stopped without being asked to: the
   * split-brain resolver or an operator downed it, it could not join its seeds, or the cluster
   * refused its configuration (a node-local journal, see {@link SharedJournalRule}).
   */
  public static String endReason(ActorSystem<?> system) {
    return CoordinatedShutdown.get(system)
        .getShutdownReason()
        .map(
            reason -> {
              if (reason == CoordinatedShutdown.incompatibleConfigurationDetectedReason()) {
                return "the cluster refused this node's configuration (the errors above say why). "
                    + SharedJournalRule.REMEDY;
              }
              if (reason == CoordinatedShutdown.clusterDowningReason()) {
                return "the cluster downed this node (the split-brain resolver, or an operator)";
              }
              if (reason == CoordinatedShutdown.clusterJoinUnsuccessfulReason()) {
                return "it could not join its seed nodes";
              }
              return "shutdown reason " + reason;
            })
        .orElse("no shutdown reason was recorded (the actor system failed)");
  }
}
