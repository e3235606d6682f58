package dev.cohort.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.observability.Metrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file journal as Pekko persistence uses it: persist, recover in a new actor system. */
class FileJournalTest {
  @TempDir Path dataDir;

  sealed interface Command {}

  /** Persists {@code events} in one atomic write and answers with how many events it holds. */
  record Write(List<Object> events, ActorRef<Integer> replyTo) implements Command {}

  record Read(ActorRef<List<Object>> replyTo) implements Command {}

  /**
   * An entity whose state is every event it persisted, each tagged "all" (the journal drops tags).
   */
  static final class Recorder extends EventSourcedBehavior<Command, Object, List<Object>> {
    Recorder(String id) {
      super(PersistenceId.ofUniqueId(id));
    }

    @Override
    public List<Object> emptyState() {
      return new ArrayList<>();
    }

    @Override
    public CommandHandler<Command, Object, List<Object>> commandHandler() {
      return newCommandHandlerBuilder()
          .forAnyState()
          .onCommand(
              Write.class,
              (state, write) ->
                  Effect()
                      .persist(write.events())
                      .thenRun(after -> write.replyTo().tell(after.size())))
          .onCommand(
              Read.class, (state, read) -> Effect().reply(read.replyTo(), List.copyOf(state)))
          .build();
    }

    @Override
    public EventHandler<List<Object>, Object> eventHandler() {
      return newEventHandlerBuilder()
          .forAnyState()
          .onAnyEvent(
              (state, event) -> {
                state.add(event);
                return state;
              });
    }

    @Override
    public Set<String> tagsFor(Object event) {
      return Set.of("all");
    }
  }

  private ActorTestKit node() {
    PersistenceSettings settings = settings("");
    assertEquals(PersistenceSettings.Journal.FILE, settings.journal());
    new JournalProbe(settings).prepareSchema();
    return ActorTestKit.create(settings.pluginConfig().withFallback(userConfig("")));
  }

  private Config userConfig(String extra) {
    return ConfigFactory.parseString("cohort.node.data-dir = \"" + dataDir + "\"\n" + extra)
        .withFallback(ConfigFactory.parseResources("cohort-pekko.conf"))
        .withFallback(ConfigFactory.load());
  }

  private PersistenceSettings settings(String extra) {
    return PersistenceSettings.create(userConfig(extra));
  }

  private static List<Object> read(ActorTestKit kit, ActorRef<Command> recorder) {
    TestProbe<List<Object>> probe = kit.createTestProbe();
    recorder.tell(new Read(probe.ref()));
    return probe.receiveMessage(Duration.ofSeconds(10));
  }

  @Test
  void eventsWrittenByOneActorSystemAreRecoveredByTheNext() throws Exception {
    int entities = 8;
    int writesEach = 25;
    ActorTestKit first = node();
    try {
      TestProbe<Integer> acks = first.createTestProbe();
      List<ActorRef<Command>> recorders = new ArrayList<>();
      for (int e = 0; e < entities; e++) {
        recorders.add(first.spawn(new Recorder("recorder-" + e)));
      }
      // Every entity writes concurrently with the others; each write is two events, atomically.
      for (int n = 0; n < writesEach; n++) {
        for (int e = 0; e < entities; e++) {
          recorders
              .get(e)
              .tell(new Write(List.of(e + ":" + n + "a", e + ":" + n + "b"), acks.ref()));
        }
      }
      acks.receiveSeveralMessages(entities * writesEach, Duration.ofSeconds(30));
    } finally {
      first.shutdownTestKit();
    }
    assertTrue(
        Files.isDirectory(dataDir.resolve("journal").resolve("events")),
        "the events live in <data-dir>/journal/events");
    ActorTestKit second = node();
    try {
      Path segment = dataDir.resolve("journal/events/00000000000000000000.log");
      assertTrue(Files.size(segment) > 0, "the first system wrote its events to the segment");
      read(second, second.spawn(new Recorder("recorder-0")));
      String scrape = Metrics.get(second.system()).scrape();
      double reported =
          scrape
              .lines()
              .filter(line -> line.startsWith("cohort_journal_bytes "))
              .mapToDouble(line -> Double.parseDouble(line.substring(line.indexOf(' ') + 1)))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no cohort_journal_bytes in\n" + scrape));
      assertEquals(
          Files.size(segment), reported, "cohort_journal_bytes reports the segment's size");
      for (int e = 0; e < entities; e++) {
        List<Object> expected = new ArrayList<>();
        for (int n = 0; n < writesEach; n++) {
          expected.add(e + ":" + n + "a");
          expected.add(e + ":" + n + "b");
        }
        assertEquals(expected, read(second, second.spawn(new Recorder("recorder-" + e))));
      }
    } finally {
      second.shutdownTestKit();
    }
  }

  @Test
  void aWriteThatCannotBeSerializedIsRejectedWholeAndTheEntityGoesOn() {
    ActorTestKit kit = node();
    try {
      TestProbe<Integer> acks = kit.createTestProbe();
      ActorRef<Command> recorder =
          kit.spawn(
              Behaviors.supervise(new Recorder("rejecting"))
                  .onFailure(SupervisorStrategy.restart()));
      recorder.tell(new Write(List.of("kept"), acks.ref()));
      assertEquals(1, acks.receiveMessage(Duration.ofSeconds(10)));
      // The second event has no Kryo registration: the whole atomic write is rejected.
      recorder.tell(new Write(List.of("lost", new TestTypes.Unregistered("x")), acks.ref()));
      acks.expectNoMessage(Duration.ofMillis(300));
      assertEquals(List.of("kept"), read(kit, recorder));
      recorder.tell(new Write(List.of("after"), acks.ref()));
      assertEquals(2, acks.receiveMessage(Duration.ofSeconds(10)));
    } finally {
      kit.shutdownTestKit();
    }
    ActorTestKit next = node();
    try {
      assertEquals(List.of("kept", "after"), read(next, next.spawn(new Recorder("rejecting"))));
    } finally {
      next.shutdownTestKit();
    }
  }

  @Test
  void aDataDirectoryWhoseEventsAreInH2IsRefusedByTheFileJournal() {
    PersistenceSettings h2 = settings("cohort.persistence.journal = h2");
    new JournalProbe(h2).prepareSchema();
    ActorTestKit old = ActorTestKit.create(h2.pluginConfig().withFallback(userConfig("")));
    try {
      TestProbe<Integer> acks = old.createTestProbe();
      old.spawn(new Recorder("in-h2")).tell(new Write(List.of("old"), acks.ref()));
      assertEquals(1, acks.receiveMessage(Duration.ofSeconds(10)));
    } finally {
      old.shutdownTestKit();
    }
    IllegalArgumentException refused =
        assertThrows(
            IllegalArgumentException.class, () -> new JournalProbe(settings("")).prepareSchema());
    assertTrue(refused.getMessage().contains("cohort.persistence.journal"), refused.getMessage());
    assertFalse(
        Files.exists(dataDir.resolve("journal").resolve("events")),
        "nothing was written to a file journal");
    new JournalProbe(h2).prepareSchema();
  }
}
