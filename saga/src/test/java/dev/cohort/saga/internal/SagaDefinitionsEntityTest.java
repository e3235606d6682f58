package dev.cohort.saga.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.ConfigFactory;
import dev.cohort.saga.SagaDefinition;
import dev.cohort.saga.SagaSettings;
import dev.cohort.saga.SagaStep;
import dev.cohort.saga.StepAction;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The definitions entity in Pekko's EventSourcedBehaviorTestKit (which also round-trips every
 * command, event and state through serialization): versions only grow, an equal definition is not a
 * new version, deletes keep the numbering, invalid definitions are refused and stored nowhere.
 */
class SagaDefinitionsEntityTest {
  private static final ActorTestKit kit =
      ActorTestKit.create(EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.load()));
  private final EventSourcedBehaviorTestKit<
          SagaDefinitionsEntity.Command, SagaDefinitionsEntity.Event, SagaDefinitionsEntity.State>
      entity =
          EventSourcedBehaviorTestKit.create(
              kit.system(),
              SagaDefinitionsEntity.create(
                  SagaDefinitionsEntity.ENTITY_ID,
                  SagaSettings.create(kit.system().settings().config())));

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @BeforeEach
  void clear() {
    entity.clear();
  }

  private static SagaDefinition one(String function) {
    return SagaDefinition.of(
        "d", List.of(SagaStep.withoutCompensation("a", StepAction.java(function))));
  }

  private SagaDefinitionsEntity.Reply define(SagaDefinition d) {
    return entity
        .<SagaDefinitionsEntity.Reply>runCommand(
            replyTo -> new SagaDefinitionsEntity.Define(d, replyTo))
        .reply();
  }

  @Test
  void versionsGrowAndSurviveDeletes() {
    assertEquals(1, ((SagaDefinitionsEntity.Found) define(one("f"))).definition().version());
    var again =
        entity.<SagaDefinitionsEntity.Reply>runCommand(
            replyTo -> new SagaDefinitionsEntity.Define(one("f"), replyTo));
    assertEquals(List.of(), again.events(), "an equal definition is not a new version");
    assertEquals(2, ((SagaDefinitionsEntity.Found) define(one("g"))).definition().version());
    var deleted =
        entity.<SagaDefinitionsEntity.Reply>runCommand(
            replyTo -> new SagaDefinitionsEntity.DeleteDefinition("d", replyTo));
    assertInstanceOf(SagaDefinitionsEntity.Deleted.class, deleted.reply());
    var missing =
        entity
            .<SagaDefinitionsEntity.Reply>runCommand(
                replyTo -> new SagaDefinitionsEntity.GetDefinition("d", 0, replyTo))
            .reply();
    assertEquals(
        "definition_not_found", ((SagaDefinitionsEntity.Refused) missing).rejection().code());
    assertEquals(3, ((SagaDefinitionsEntity.Found) define(one("f"))).definition().version());
    entity.restart();
    var v3 =
        entity
            .<SagaDefinitionsEntity.Reply>runCommand(
                replyTo -> new SagaDefinitionsEntity.GetDefinition("d", 3, replyTo))
            .reply();
    assertEquals(one("f").withVersion(3), ((SagaDefinitionsEntity.Found) v3).definition());
  }

  @Test
  void anInvalidDefinitionIsRefusedAndStoresNothing() {
    var result =
        entity.<SagaDefinitionsEntity.Reply>runCommand(
            replyTo ->
                new SagaDefinitionsEntity.Define(
                    SagaDefinition.of(
                        "d",
                        List.of(
                            SagaStep.of("a", StepAction.http("POST", "not a url"), null),
                            SagaStep.of("a", StepAction.java("f"), null))),
                    replyTo));
    assertEquals(
        "invalid_definition", ((SagaDefinitionsEntity.Refused) result.reply()).rejection().code());
    assertEquals(List.of(), result.events());
    var listed =
        entity
            .<SagaDefinitionsEntity.Reply>runCommand(SagaDefinitionsEntity.ListDefinitions::new)
            .reply();
    assertEquals(List.of(), ((SagaDefinitionsEntity.Listed) listed).definitions());
  }
}
