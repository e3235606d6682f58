package dev.cohort.training.internal;

import static dev.cohort.training.internal.CoordinatorRestartTest.await;
import static dev.cohort.training.internal.CoordinatorRestartTest.awaitStatus;
import static dev.cohort.training.internal.CoordinatorRestartTest.config;
import static dev.cohort.training.internal.CoordinatorRestartTest.node;
import static dev.cohort.training.internal.CoordinatorRestartTest.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cohort.training.JobPhase;
import dev.cohort.training.JobStatus;
import dev.cohort.training.internal.CoordinatorRestartTest.Node;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A job of one rank and a tiny model: its steps need no allreduce and take microseconds, so rank 0
 * finishes tens of thousands of them within seconds. Its coordinator persists each progress report
 * it gets; the job must still end, and its status must name the last step. (When rank 0 reported
 * every step, the coordinator's stash overflowed while it persisted them and dropped the Finish
 * behind them: {@code CoordinatorNodeLeaveTest} hung at a one-rank generation that had finished.)
 */
@Tag("integration")
class FastSingleRankJobTest {

  @Test
  void aOneRankJobOfMicrosecondStepsEndsWithItsLastStepReported() throws Exception {
    Node node = node(config(Files.createTempDirectory("cohort-fast-rank")), null);
    try {
      int epochs = 200;
      await(node.jobs().submit("fast", spec(1, epochs)));
      JobStatus done = awaitStatus(node, "fast", Duration.ofSeconds(60), s -> s.phase().ended());
      assertEquals(JobPhase.COMPLETED, done.phase(), () -> "reason " + done.reason());
      assertEquals(epochs - 1, done.epoch(), "the last step's epoch was reported");
      assertEquals(done.step(), done.losses().getLast().step());
    } finally {
      node.kit().shutdownTestKit();
    }
  }
}
