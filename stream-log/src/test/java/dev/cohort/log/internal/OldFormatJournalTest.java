package dev.cohort.log.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.TopicConfig;
import dev.cohort.log.TopicConfig.CompressionType;
import dev.cohort.persistence.internal.KryoSerializer;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.record.TimestampType;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A partition's journal written by the code before partitions stored Kafka's record batches (the
 * committed fixture {@code partition-journal-v1.bin}: its events serialized then, see {@link
 * #fixture}) recovers: every old batch (snappy, lz4, zstd, none; a compacted one with a gap; a
 * LogAppendTime one) is converted to a valid v2 batch with its offsets, timestamps, keys, values,
 * headers and codec; the producers' idempotence state still recognises a retry; new batches append
 * after the old ones, and the mixed journal recovers again.
 */
class OldFormatJournalTest {
  private static final ActorTestKit kit =
      ActorTestKit.create(
          EventSourcedBehaviorTestKit.config()
              .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
              .withFallback(LogTestKit.config("")));
  private static final Serialization serialization =
      SerializationExtension.get(kit.system().classicSystem());
  private static final LogSettings settings = LogSettings.create(kit.system().settings().config());
  private static final long T = 1_700_000_000_000L;

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  private static List<Object> readFixture() throws IOException {
    List<Object> events = new ArrayList<>();
    try (InputStream in =
            OldFormatJournalTest.class.getResourceAsStream("/fixtures/partition-journal-v1.bin");
        DataInputStream data = new DataInputStream(in)) {
      int count = data.readInt();
      for (int i = 0; i < count; i++) {
        byte[] bytes = new byte[data.readInt()];
        data.readFully(bytes);
        events.add(serialization.deserialize(bytes, KryoSerializer.IDENTIFIER, "").get());
      }
    }
    return events;
  }

  private static PartitionEntity.Fetched fetchAll(
      EventSourcedBehaviorTestKit<
              PartitionEntity.Command, PartitionEntity.Event, PartitionEntity.State>
          entity) {
    return assertInstanceOf(
        PartitionEntity.Fetched.class,
        entity
            .<PartitionEntity.Reply>runCommand(
                r -> new PartitionEntity.Fetch(0, 1 << 20, 1000, 0, r))
            .reply());
  }

  private static List<ConsumerRecord> decode(PartitionEntity.Fetched fetched) {
    List<ConsumerRecord> out = new ArrayList<>();
    for (KafkaBatch b : fetched.batches()) {
      b.view().ensureValid();
      out.addAll(KafkaBatches.decode("orders", 0, b, 0, Integer.MAX_VALUE));
    }
    return out;
  }

  @Test
  void aJournalOfTheFormatBeforeV2RecoversIntoValidV2Batches() throws IOException {
    List<Object> events = readFixture();
    assertEquals(6, events.size());
    assertInstanceOf(PartitionEntity.BatchAppended.class, events.get(1));
    assertInstanceOf(PartitionEntity.LogCompacted.class, events.get(5));
    String id = PartitionEntity.entityId("orders", 0);
    var entity = LogTestKit.partitionEntity(kit, settings, id);
    entity.initialize(events.toArray());

    var state = assertInstanceOf(ConfiguredPartition.class, entity.getState());
    assertEquals(4, state.log().cleanedUpTo());
    var fetched = fetchAll(entity);
    assertEquals(6, fetched.highWatermark());
    List<KafkaBatch> batches = fetched.batches();
    assertEquals(
        List.of(
            org.apache.kafka.common.record.internal.CompressionType.SNAPPY,
            org.apache.kafka.common.record.internal.CompressionType.LZ4,
            org.apache.kafka.common.record.internal.CompressionType.ZSTD,
            org.apache.kafka.common.record.internal.CompressionType.NONE),
        batches.stream().map(b -> b.view().compressionType()).toList(),
        "every batch keeps its codec");
    assertEquals(0, batches.get(0).baseOffset());
    assertEquals(1, batches.get(0).lastOffset(), "a compacted batch keeps its last offset");
    assertEquals(1, batches.get(0).recordCount());
    assertEquals(TimestampType.LOG_APPEND_TIME, batches.get(2).view().timestampType());

    List<ConsumerRecord> records = decode(fetched);
    assertEquals(
        List.of(1L, 2L, 3L, 4L, 5L), records.stream().map(ConsumerRecord::offset).toList());
    ConsumerRecord b = records.get(0);
    assertEquals("user-2", b.keyString());
    assertEquals("b", b.valueString());
    assertEquals(T + 3, b.timestamp());
    assertArrayEquals(new byte[] {1, 2}, b.headers().get("trace"));
    assertEquals("c", records.get(1).valueString());
    assertNull(records.get(2).value(), "a tombstone stays a tombstone");
    assertEquals(T + 500, records.get(3).timestamp(), "LogAppendTime: the append time");
    assertEquals(TopicConfig.TimestampType.LOG_APPEND_TIME, records.get(3).timestampType());
    assertNull(records.get(4).key());
    assertEquals("e", records.get(4).valueString());

    // Producer 42's second batch (sequences 2-3 at offset 2), retried: a duplicate.
    var retried =
        entity.<PartitionEntity.Reply>runCommand(
            r ->
                new PartitionEntity.Produce(
                    "tid-1", 42, 0, 2, TestBatches.encoded(T, "x", "y"), r));
    assertTrue(retried.hasNoEvents());
    assertEquals(2, assertInstanceOf(PartitionEntity.Appended.class, retried.reply()).baseOffset());
    var next =
        entity.<PartitionEntity.Reply>runCommand(
            r -> new PartitionEntity.Produce("tid-1", 42, 0, 4, TestBatches.encoded(T, "z"), r));
    assertEquals(6, assertInstanceOf(PartitionEntity.Appended.class, next.reply()).baseOffset());

    entity.restart();
    List<ConsumerRecord> again = decode(fetchAll(entity));
    assertEquals(
        List.of(1L, 2L, 3L, 4L, 5L, 6L), again.stream().map(ConsumerRecord::offset).toList());
    assertEquals("z", again.getLast().keyString());
  }

  /**
   * How the fixture was made, by the code before v2 batches (its batch writer is {@link
   * LegacyBatchWriter} now); kept to document its content, never run by the build. The file is a
   * big-endian int count, then per event an int length and the event's Pekko serialization.
   */
  static byte[] fixture(TopicConfig topicDefaults) throws IOException {
    StoredBatch b0 =
        legacy(
            CompressionType.SNAPPY,
            0,
            -1,
            T,
            "user-1",
            "a",
            Map.of(),
            "user-2",
            "b",
            Map.of("trace", new byte[] {1, 2}));
    StoredBatch b1 =
        legacy(
            CompressionType.LZ4, 2, -1, T + 10, "user-1", "c", Map.of(), "user-3", null, Map.of());
    StoredBatch b2 = legacy(CompressionType.ZSTD, 4, T + 500, T + 20, "user-2", "d", Map.of());
    StoredBatch b3 = legacy(CompressionType.NONE, 5, -1, T + 30, null, "e", Map.of());
    StoredBatch b0Compacted =
        LegacyBatchWriter.rewrite(b0, List.copyOf(RecordBatches.entries(b0).subList(1, 2)));
    List<PartitionEntity.Event> events =
        List.of(
            new PartitionEntity.PartitionConfigured("tid-1", topicDefaults),
            new PartitionEntity.BatchAppended(b0, 42L, 0, 0, T + 1),
            new PartitionEntity.BatchAppended(b1, 42L, 0, 2, T + 11),
            new PartitionEntity.BatchAppended(b2, -1L, 0, 0, T + 21),
            new PartitionEntity.BatchAppended(b3, -1L, 0, 0, T + 31),
            new PartitionEntity.LogCompacted(4, List.of(b0Compacted, b1), T + 10 + 86_400_000L));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    DataOutputStream data = new DataOutputStream(out);
    data.writeInt(events.size());
    for (PartitionEntity.Event e : events) {
      byte[] bytes = serialization.serialize(e).get();
      data.writeInt(bytes.length);
      data.write(bytes);
    }
    return out.toByteArray();
  }

  /** Records given as key, value, headers triples; record i has timestamp {@code ts + i * 3}. */
  @SuppressWarnings("unchecked")
  private static StoredBatch legacy(
      CompressionType codec, long baseOffset, long appendTime, long ts, Object... triples) {
    LegacyBatchWriter.Builder builder = new LegacyBatchWriter.Builder();
    for (int i = 0; i < triples.length; i += 3) {
      builder.add(
          TestBatches.bytes((String) triples[i]),
          TestBatches.bytes((String) triples[i + 1]),
          (Map<String, byte[]>) triples[i + 2],
          ts + i);
    }
    return LegacyBatchWriter.stored(builder.build(codec), baseOffset, appendTime);
  }
}
