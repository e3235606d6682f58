package dev.cohort.training.internal;

import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;

/**
 * The ActorSystem the training tests run in: local (no cluster), with the persistence test kit's
 * in-memory journal and snapshot store, which serialize every event and state as a real journal
 * would.
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
}
