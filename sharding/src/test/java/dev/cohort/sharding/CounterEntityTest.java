package dev.cohort.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import dev.cohort.sharding.internal.CounterEntity;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CounterEntityTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create(
          EventSourcedBehaviorTestKit.config()
              .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
              .withFallback(ConfigFactory.load()));

  private final EventSourcedBehaviorTestKit<
          CounterEntity.Command, CounterEntity.Incremented, CounterEntity.State>
      kit = EventSourcedBehaviorTestKit.create(testKit.system(), CounterEntity.create("c1"));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void clear() {
    kit.clear();
  }

  @Test
  void incrementsPersistOneEventEachAndSurviveRestart() {
    var first = kit.<CounterEntity.Value>runCommand(r -> new CounterEntity.Increment(5, r));
    assertEquals(new CounterEntity.Incremented(5), first.event());
    assertEquals(5, first.reply().value());
    var second = kit.<CounterEntity.Value>runCommand(r -> new CounterEntity.Increment(-2, r));
    assertEquals(3, second.reply().value());
    kit.restart();
    var read = kit.<CounterEntity.Value>runCommand(CounterEntity.Get::new);
    assertEquals(3, read.reply().value());
    assertEquals(0, read.events().size(), "a read persists nothing");
  }
}
