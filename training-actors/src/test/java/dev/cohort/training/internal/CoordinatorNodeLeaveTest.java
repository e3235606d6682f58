package dev.cohort.training.internal;

import static dev.cohort.training.internal.CoordinatorRestartTest.await;
import static dev.cohort.training.internal.CoordinatorRestartTest.awaitStatus;
import static dev.cohort.training.internal.CoordinatorRestartTest.config;
import static dev.cohort.training.internal.CoordinatorRestartTest.node;
import static dev.cohort.training.internal.CoordinatorRestartTest.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import dev.cohort.training.JobPhase;
import dev.cohort.training.JobStatus;
import dev.cohort.training.RecoveryInfo;
import dev.cohort.training.internal.CoordinatorRestartTest.Node;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code NodeLeave}: three nodes in one JVM on one H2 journal run a three-worker job; the node
 * hosting the job's coordinator is shut down gracefully mid-run ({@code shutdownTestKit}: the node
 * leaves the cluster through coordinated shutdown and sharding hands its entities off; its workers
 * go with it). The coordinator entity recovers on a survivor (woken by the job waker), ends the
 * generation its previous incarnation ran, re-recruits, the new generation loads the latest
 * checkpoint, and the job completes there, its steps continuing from the checkpoint's. With {@code
 * recovery.prefer-replicas = off}. No process dies here: {@code TrainingProcessKillTest} in the
 * platform module SIGKILLs a node process running a job.
 */
@Tag("integration")
class CoordinatorNodeLeaveTest {

  @Test
  void jobResumesOnASurvivorWhenTheCoordinatorsNodeLeaves() throws Exception {
    Config config = config(Files.createTempDirectory("cohort-node-leave"));
    List<Node> nodes = new ArrayList<>();
    nodes.add(node(config, null));
    nodes.add(node(config, nodes.getFirst().kit()));
    nodes.add(node(config, nodes.getFirst().kit()));
    try {
      Node first = nodes.getFirst();
      await(first.jobs().submit("node-leave", spec(3, 60)));
      JobStatus before =
          awaitStatus(
              first,
              "node-leave",
              Duration.ofSeconds(60),
              s ->
                  s.phase() == JobPhase.RUNNING
                      && s.checkpoint().map(c -> c.step() >= 20).orElse(false));
      Node host =
          nodes.stream().filter(CoordinatorRestartTest::hostsCoordinator).findFirst().orElseThrow();
      host.kit().shutdownTestKit();
      nodes.remove(host);

      Node survivor = nodes.getFirst();
      JobStatus done =
          awaitStatus(survivor, "node-leave", Duration.ofSeconds(120), s -> s.phase().ended());
      assertEquals(JobPhase.COMPLETED, done.phase(), () -> "reason " + done.reason());
      RecoveryInfo recovery =
          done.recoveryLog().stream()
              .filter(r -> r.resumedFrom().equals(RecoveryInfo.FROM_CHECKPOINT))
              .findFirst()
              .orElseThrow(
                  () ->
                      new AssertionError(
                          "NodeLeave: no recovery from a checkpoint in " + done.recoveryLog()));
      assertTrue(
          recovery.resumedFromStep() >= before.checkpoint().orElseThrow().step(),
          "NodeLeave: " + recovery);
      assertTrue(
          done.losses().stream().anyMatch(p -> p.step() == recovery.resumedFromStep() + 1),
          "NodeLeave: training went on from the step after the checkpoint");
      assertTrue(done.step() > recovery.resumedFromStep());
    } finally {
      nodes.forEach(n -> n.kit().shutdownTestKit());
    }
  }
}
