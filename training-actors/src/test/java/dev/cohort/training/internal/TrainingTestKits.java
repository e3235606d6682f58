package dev.cohort.training.internal;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import dev.cohort.training.JobStatus;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;

/**
 * The ActorSystem the training tests run in, and readers of the coordinator's replies: local (no
 * cluster), with the persistence test kit's in-memory journal and snapshot store, which serialize
 * every event and state as a real journal would.
 */
final class TrainingTestKits {
  private TrainingTestKits() {}

  /** A local test kit with {@code extraConfig} (HOCON, may be empty) over the defaults. */
  static ActorTestKit local(String extraConfig) {
    return ActorTestKit.create(
        EventSourcedBehaviorTestKit.config()
            .withFallback(ConfigFactory.parseString("pekko.actor.provider = local\n" + extraConfig))
            .withFallback(ConfigFactory.load()));
  }

  /** The job status a coordinator answered with; fails the test when it rejected the command. */
  static JobStatus status(TrainingCoordinator.Reply reply) {
    return assertInstanceOf(
            TrainingCoordinator.Answer.class, reply, () -> "answer expected, got " + reply)
        .status();
  }

  /** The code of a coordinator's rejection; fails the test when it answered. */
  static String rejectedCode(TrainingCoordinator.Reply reply) {
    return assertInstanceOf(
            TrainingCoordinator.Rejected.class, reply, () -> "rejection expected, got " + reply)
        .rejection()
        .code();
  }
}
