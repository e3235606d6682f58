package dev.cohort.log.internal;

import static dev.cohort.log.internal.LogTestKit.assertCode;
import static dev.cohort.log.internal.LogTestKit.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.log.ProducerIdAndEpoch;
import dev.cohort.log.ProducerRecord;
import dev.cohort.log.RecordMetadata;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Batches numbered by their client ({@code StreamLog.send(topic, partition, producer, baseSequence,
 * records)}, the HTTP idempotent produce): the partition's own sequence and epoch checks decide, so
 * a retried batch is answered with its first offsets and written once.
 */
class SequencedSendTest {
  private static final ActorTestKit kit = LogTestKit.cluster("");
  private static final StreamLogImpl log = StreamLogImpl.start(kit.system());
  private static final PersistenceTestKit journal = PersistenceTestKit.create(kit.system());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  private static List<ProducerRecord> records(Integer partition, String... values) {
    List<ProducerRecord> out = new ArrayList<>();
    for (String v : values) {
      out.add(
          new ProducerRecord(
              "seq", partition, null, v.getBytes(StandardCharsets.UTF_8), Map.of(), null));
    }
    return out;
  }

  private static long events(int partition) {
    return journal
        .persistedInStorage(
            PartitionEntity.ENTITY_TYPE_KEY.name()
                + "|"
                + PartitionEntity.entityId("seq", partition))
        .size();
  }

  private static List<Long> offsets(List<RecordMetadata> written) {
    return written.stream().map(RecordMetadata::offset).toList();
  }

  @Test
  void initGivesNewIdsAndBumpsEpochs() {
    ProducerIdAndEpoch first = get(log.initProducerId(null));
    ProducerIdAndEpoch second = get(log.initProducerId(null));
    assertEquals(0, first.epoch());
    assertTrue(first.producerId() >= 0);
    assertNotEquals(first.producerId(), second.producerId());
    assertEquals(new ProducerIdAndEpoch(first.producerId(), 1), get(log.initProducerId(first)));
    ProducerIdAndEpoch exhausted =
        get(log.initProducerId(new ProducerIdAndEpoch(7, Integer.MAX_VALUE)));
    assertNotEquals(7, exhausted.producerId());
    assertEquals(0, exhausted.epoch());
  }

  @Test
  void retriesAreAnsweredWithTheFirstOffsetsGapsAndOldEpochsAreRefused() {
    get(log.createTopic("seq", 2, Map.of()));
    ProducerIdAndEpoch p = get(log.initProducerId(null));
    List<RecordMetadata> a = get(log.send("seq", 1, p, 0, records(null, "a0", "a1")));
    assertEquals(List.of(0L, 1L), offsets(a));
    List<RecordMetadata> b = get(log.send("seq", 1, p, 2, records(1, "b0")));
    assertEquals(List.of(2L), offsets(b));
    long written = events(1);

    // The same batch again (a retry after a lost answer): its offsets, nothing written.
    assertEquals(
        List.of(0L, 1L), offsets(get(log.send("seq", 1, p, 0, records(null, "a0", "a1")))));
    assertEquals(List.of(2L), offsets(get(log.send("seq", 1, p, 2, records(null, "b0")))));
    assertEquals(written, events(1));
    assertEquals(3, get(log.fetch("seq", 1, 0)).highWatermark());

    assertCode("out_of_order_sequence", log.send("seq", 1, p, 5, records(null, "gap")));
    assertCode("out_of_order_sequence", log.send("seq", 1, p, 0, records(null, "a0")));
    assertCode("unknown_producer_id", log.send("seq", 0, p, 3, records(null, "first-but-not-0")));

    ProducerIdAndEpoch bumped = get(log.initProducerId(p));
    assertEquals(List.of(3L), offsets(get(log.send("seq", 1, bumped, 0, records(null, "c0")))));
    assertCode("invalid_producer_epoch", log.send("seq", 1, p, 3, records(null, "zombie")));
    assertEquals(4, get(log.fetch("seq", 1, 0)).highWatermark(), "refused batches wrote nothing");
  }

  @Test
  void malformedBatchesAreRefusedBeforeReachingThePartition() {
    get(log.createTopic("seq-bad", 2, Map.of()));
    ProducerIdAndEpoch p = get(log.initProducerId(null));
    List<ProducerRecord> elsewhere =
        List.of(new ProducerRecord("seq-bad", 0, null, new byte[] {1}, Map.of(), null));
    assertCode("invalid_request", log.send("seq-bad", 1, p, 0, elsewhere));
    assertCode("invalid_request", log.send("seq-bad", 1, p, -1, records(null, "x")));
    assertCode(
        "invalid_request", log.send("seq-bad", 1, p, Integer.MAX_VALUE, records(null, "x", "y")));
    assertCode("invalid_request", log.send("seq-bad", 1, p, 0, List.of()));
    assertCode("unknown_topic_or_partition", log.send("seq-bad", 2, p, 0, records(null, "x")));
    assertEquals(0, get(log.fetch("seq-bad", 1, 0)).highWatermark());
  }
}
