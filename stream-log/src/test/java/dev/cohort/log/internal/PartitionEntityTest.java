package dev.cohort.log.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.log.TopicConfig;
import dev.cohort.log.TopicPartition;
import dev.cohort.testkit.Await;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The partition entity alone, with Pekko's {@link EventSourcedBehaviorTestKit} (which also checks
 * that every command and event serializes): offsets, one event per batch, idempotence, fencing,
 * validation, and recovery from snapshot plus events.
 */
class PartitionEntityTest {
  private static final ActorTestKit kit =
      ActorTestKit.create(
          EventSourcedBehaviorTestKit.config()
              .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
              .withFallback(LogTestKit.config("")));
  private static final LogSettings settings = LogSettings.create(kit.system().settings().config());
  private static int counter;

  private EventSourcedBehaviorTestKit<
          PartitionEntity.Command, PartitionEntity.Event, PartitionEntity.State>
      entity;
  private TopicConfig config;

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @BeforeEach
  void start() {
    String id = PartitionEntity.entityId("unit" + (counter++), 0);
    entity = LogTestKit.partitionEntity(kit, settings, id);
    config = settings.topicDefaults().with(Map.of("max.message.bytes", "300"));
  }

  private void configure() {
    var result =
        entity.<PartitionEntity.Reply>runCommand(
            r -> new PartitionEntity.Configure("tid", config, r));
    assertEquals(1, result.events().size());
  }

  private static KafkaBatches.Encoded batch(int records, int valueBytes) {
    KafkaBatches.Builder builder = new KafkaBatches.Builder();
    for (int i = 0; i < records; i++) {
      builder.add(null, new byte[valueBytes], Map.of(), 1000 + i);
    }
    return builder.build(TopicConfig.CompressionType.NONE);
  }

  private PartitionEntity.Reply produce(long producerId, int epoch, int sequence, int records) {
    return entity
        .<PartitionEntity.Reply>runCommand(
            r ->
                new PartitionEntity.Produce(
                    "tid", producerId, epoch, sequence, batch(records, 4), r))
        .reply();
  }

  private static String code(PartitionEntity.Reply reply) {
    return assertInstanceOf(PartitionEntity.Rejected.class, reply).rejection().code();
  }

  @Test
  void anUnconfiguredPartitionRejectsAndWritesNothing() {
    var result =
        entity.<PartitionEntity.Reply>runCommand(
            r -> new PartitionEntity.Produce("tid", -1, 0, 0, batch(1, 1), r));
    assertEquals("unknown_topic_or_partition", code(result.reply()));
    assertTrue(result.hasNoEvents());
  }

  @Test
  void eachBatchIsOneEventAndOffsetsAreContiguous() {
    configure();
    var first =
        entity.<PartitionEntity.Reply>runCommand(
            r -> new PartitionEntity.Produce("tid", -1, 0, 0, batch(3, 4), r));
    assertEquals(1, first.events().size());
    assertEquals(0, assertInstanceOf(PartitionEntity.Appended.class, first.reply()).baseOffset());
    var second = produce(-1, 0, 0, 2);
    assertEquals(3, assertInstanceOf(PartitionEntity.Appended.class, second).baseOffset());
    var status = entity.<PartitionEntity.Reply>runCommand(PartitionEntity.GetStatus::new).reply();
    assertEquals(5, ((PartitionEntity.Status) status).logEndOffset());
  }

  @Test
  void idempotentDuplicatesGetTheOriginalOffsetsAndGapsAreRejected() {
    configure();
    assertEquals(0, ((PartitionEntity.Appended) produce(7, 0, 0, 3)).baseOffset());
    assertEquals(3, ((PartitionEntity.Appended) produce(7, 0, 3, 2)).baseOffset());
    var duplicate =
        entity.<PartitionEntity.Reply>runCommand(
            r -> new PartitionEntity.Produce("tid", 7, 0, 0, batch(3, 4), r));
    assertTrue(duplicate.hasNoEvents());
    var dup = assertInstanceOf(PartitionEntity.Appended.class, duplicate.reply());
    assertEquals(0, dup.baseOffset());
    assertTrue(dup.duplicate());
    assertEquals("out_of_order_sequence", code(produce(7, 0, 9, 1)));
    assertEquals("unknown_producer_id", code(produce(8, 0, 4, 1)), "a new producer starts at 0");
    // A new epoch restarts sequences; the old epoch is fenced.
    assertEquals(5, ((PartitionEntity.Appended) produce(7, 1, 0, 1)).baseOffset());
    assertEquals("invalid_producer_epoch", code(produce(7, 0, 5, 1)));
    // Producer state survives recovery (snapshot every 4 events plus the events after it).
    entity.restart();
    var again = assertInstanceOf(PartitionEntity.Appended.class, produce(7, 1, 0, 1));
    assertEquals(5, again.baseOffset());
    assertTrue(again.duplicate());
  }

  @Test
  void aBatchOverMaxMessageBytesIsRejectedAndWritesNothing() {
    configure();
    var result =
        entity.<PartitionEntity.Reply>runCommand(
            r -> new PartitionEntity.Produce("tid", -1, 0, 0, batch(1, 400), r));
    assertEquals("record_too_large", code(result.reply()));
    assertTrue(result.hasNoEvents());
  }

  @Test
  void aStaleTopicIdIsRejected() {
    configure();
    var result =
        entity.<PartitionEntity.Reply>runCommand(
            r -> new PartitionEntity.Produce("old-topic-id", -1, 0, 0, batch(1, 1), r));
    assertEquals("unknown_topic_or_partition", code(result.reply()));
    assertTrue(result.hasNoEvents());
  }

  @Test
  void recoveryRestoresTheLogFromSnapshotAndEvents() {
    configure();
    for (int i = 0; i < 7; i++) {
      produce(-1, 0, 0, 2);
    }
    entity.restart();
    var status =
        (PartitionEntity.Status)
            entity.<PartitionEntity.Reply>runCommand(PartitionEntity.GetStatus::new).reply();
    assertEquals(14, status.logEndOffset());
    assertEquals(7, status.batches());
    var fetched =
        (PartitionEntity.Fetched)
            entity
                .<PartitionEntity.Reply>runCommand(
                    r -> new PartitionEntity.Fetch(4, 1 << 20, 100, 0, r))
                .reply();
    assertEquals(4, fetched.batches().getFirst().baseOffset());
    assertEquals(14, fetched.nextOffset());
    assertEquals(new TopicPartition("unit", 3), PartitionEntity.parseEntityId("unit/3"));
  }

  @Test
  void aDeletedPartitionIsUnconfiguredUntilItsTopicIsCreatedAgain() {
    configure();
    produce(7, 0, 0, 3);
    var deleted =
        entity.<PartitionEntity.Reply>runCommand(
            r -> new PartitionEntity.DeletePartition("tid", r));
    // (Its event is gone from the journal already: the snapshot after a deletion replaces it.)
    assertInstanceOf(UnconfiguredPartition.class, deleted.state());
    assertEquals("", ((PartitionEntity.Status) deleted.reply()).topicId());
    entity.restart();
    assertInstanceOf(UnconfiguredPartition.class, entity.getState());
    assertEquals("unknown_topic_or_partition", code(produce(-1, 0, 0, 1)));
    var fetch =
        entity.<PartitionEntity.Reply>runCommand(r -> new PartitionEntity.Fetch(0, 1000, 10, 0, r));
    assertEquals("unknown_topic_or_partition", code(fetch.reply()));
    assertTrue(fetch.hasNoEvents());
    // The topic created again (a new topic id): an empty log, and no state for producer 7.
    var recreated =
        entity.<PartitionEntity.Reply>runCommand(
            r -> new PartitionEntity.Configure("tid2", config, r));
    var configured = assertInstanceOf(ConfiguredPartition.class, recreated.state());
    assertEquals(0, configured.log().logEndOffset());
    var first =
        entity.<PartitionEntity.Reply>runCommand(
            r -> new PartitionEntity.Produce("tid2", 7, 0, 0, batch(3, 4), r));
    var appended = assertInstanceOf(PartitionEntity.Appended.class, first.reply());
    assertEquals(0, appended.baseOffset());
    assertTrue(!appended.duplicate(), "the deleted topic's producer state is gone");
  }

  @Test
  void fetchOutsideTheLogIsOutOfRange() {
    configure();
    produce(-1, 0, 0, 2);
    var reply =
        entity
            .<PartitionEntity.Reply>runCommand(r -> new PartitionEntity.Fetch(3, 1000, 10, 0, r))
            .reply();
    assertEquals("offset_out_of_range", code(reply));
  }

  @Test
  void idleProducersExpireAndStartOver() {
    LogSettings quick =
        LogSettings.create(
            ConfigFactory.parseString(
                    "cohort.log.partition.producer-id-expiration = 1ms\n"
                        + "cohort.log.partition.retention-check-interval = 50ms")
                .withFallback(kit.system().settings().config()));
    var expiring =
        EventSourcedBehaviorTestKit
            .<PartitionEntity.Command, PartitionEntity.Event, PartitionEntity.State>create(
                kit.system(),
                PartitionEntity.create(
                    PersistenceId.of(PartitionEntity.ENTITY_TYPE_KEY.name(), "expiring/0"),
                    PartitionEntity.parseEntityId("expiring/0"),
                    quick),
                EventSourcedBehaviorTestKit.enabledSerializationSettings()
                    .withVerifyEquality(false)
                    .withVerifyState(false));
    expiring.<PartitionEntity.Reply>runCommand(
        r -> new PartitionEntity.Configure("tid", config, r));
    var first =
        expiring.<PartitionEntity.Reply>runCommand(
            r -> new PartitionEntity.Produce("tid", 7, 0, 0, batch(2, 1), r));
    assertEquals(0, ((PartitionEntity.Appended) first.reply()).baseOffset());
    // Until its state expires the same batch is a duplicate; afterwards it is a new batch.
    Await.await(
        java.time.Duration.ofSeconds(10),
        () -> {
          var again =
              (PartitionEntity.Appended)
                  expiring
                      .<PartitionEntity.Reply>runCommand(
                          r -> new PartitionEntity.Produce("tid", 7, 0, 0, batch(2, 1), r))
                      .reply();
          return !again.duplicate() && again.baseOffset() == 2;
        });
  }
}
