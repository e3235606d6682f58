package dev.cohort.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.FetchResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Partitions store produced record batches as they arrive and fetch returns those bytes: a
 * compressed batch comes back byte for byte (only the base offset, which its CRC does not cover, is
 * the partition's), the same records read through the embedded API, and a LogAppendTime topic
 * stamps the batch with a CRC that still checks; a topic that names a codec stores batches in it; a
 * batch of magic 1 is refused and stores nothing.
 */
@Tag("integration")
class StoredBatchesTest {
  private static KafkaTestNode node;

  @BeforeAll
  static void start() throws Exception {
    node =
        KafkaTestNode.start(
            Files.createTempDirectory("cohort-kafka-stored"), KafkaTestNode.freePort(), "");
    node.log().createTopic("stored", 1, Map.of()).toCompletableFuture().get();
    node.log()
        .createTopic("appended", 1, Map.of("message.timestamp.type", "LogAppendTime"))
        .toCompletableFuture()
        .get();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static MemoryRecords zstdBatch(String prefix, int records) {
    MemoryRecordsBuilder builder =
        MemoryRecords.builder(
            ByteBuffer.allocate(4096),
            RecordBatch.MAGIC_VALUE_V2,
            Compression.zstd().build(),
            TimestampType.CREATE_TIME,
            0L);
    for (int i = 0; i < records; i++) {
      builder.append(
          1_700_000_000_000L + i,
          (prefix + "-key-" + i).getBytes(StandardCharsets.UTF_8),
          (prefix + "-value-" + i).repeat(20).getBytes(StandardCharsets.UTF_8),
          new RecordHeader[] {new RecordHeader("h", new byte[] {(byte) i})});
    }
    return builder.build();
  }

  private static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer b = buffer.duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  private static ProduceResponseData.PartitionProduceResponse produce(
      RawKafkaClient raw, String topic, MemoryRecords records) throws IOException {
    ProduceResponseData answer =
        (ProduceResponseData)
            raw.call(ApiKeys.PRODUCE, (short) 9, RawKafkaClient.produce(topic, 0, records)).data();
    return answer.responses().iterator().next().partitionResponses().getFirst();
  }

  private static MemoryRecords fetch(RawKafkaClient raw, String topic, long offset)
      throws IOException {
    FetchRequestData request =
        new FetchRequestData()
            .setReplicaId(-1)
            .setMaxWaitMs(0)
            .setMinBytes(0)
            .setMaxBytes(1 << 20)
            .setTopics(
                List.of(
                    new FetchRequestData.FetchTopic()
                        .setTopic(topic)
                        .setPartitions(
                            List.of(
                                new FetchRequestData.FetchPartition()
                                    .setPartition(0)
                                    .setFetchOffset(offset)
                                    .setPartitionMaxBytes(1 << 20)))));
    FetchResponseData answer =
        (FetchResponseData) raw.call(ApiKeys.FETCH, (short) 12, request).data();
    FetchResponseData.PartitionData data = answer.responses().getFirst().partitions().getFirst();
    assertEquals(Errors.NONE.code(), data.errorCode());
    return (MemoryRecords) data.records();
  }

  @Test
  void aFetchReturnsTheVeryBytesProduced() throws Exception {
    try (RawKafkaClient raw = new RawKafkaClient(node.port())) {
      MemoryRecords first = zstdBatch("a", 3);
      MemoryRecords second = zstdBatch("b", 4);
      assertEquals(0, produce(raw, "stored", first).baseOffset());
      assertEquals(3, produce(raw, "stored", second).baseOffset());

      List<byte[]> fetched = new ArrayList<>();
      for (RecordBatch batch : fetch(raw, "stored", 0).batches()) {
        ByteBuffer b = ByteBuffer.allocate(batch.sizeInBytes());
        ((org.apache.kafka.common.record.internal.MutableRecordBatch) batch).writeTo(b);
        fetched.add(b.array());
      }
      assertEquals(2, fetched.size());
      assertArrayEquals(bytes(first.buffer()), fetched.get(0), "the stored bytes, unchanged");
      byte[] sent = bytes(second.buffer());
      byte[] got = fetched.get(1);
      assertEquals(3, ByteBuffer.wrap(got).getLong(0), "the partition's base offset");
      assertTrue(
          Arrays.equals(sent, 8, sent.length, got, 8, got.length),
          "everything after the base offset (length, CRC, compressed records) is as produced");

      // The same records through the embedded API (the HTTP gateway's path), decoded on read.
      FetchResult decoded = node.log().fetch("stored", 0, 2).toCompletableFuture().get();
      List<ConsumerRecord> records = decoded.records();
      assertEquals(
          List.of(2L, 3L, 4L, 5L, 6L), records.stream().map(ConsumerRecord::offset).toList());
      assertEquals("b-key-0", records.get(1).keyString());
      assertEquals("b-value-1".repeat(20), records.get(2).valueString());
      assertArrayEquals(new byte[] {3}, records.get(4).headers().get("h"));
    }
  }

  @Test
  void aTopicThatNamesACodecStoresBatchesInIt() throws Exception {
    node.log()
        .createTopic("snappy", 1, Map.of("compression.type", "snappy"))
        .toCompletableFuture()
        .get();
    try (RawKafkaClient raw = new RawKafkaClient(node.port())) {
      assertEquals(Errors.NONE.code(), produce(raw, "snappy", zstdBatch("d", 3)).errorCode());
      RecordBatch batch = fetch(raw, "snappy", 0).batches().iterator().next();
      batch.ensureValid();
      assertEquals(
          org.apache.kafka.common.record.internal.CompressionType.SNAPPY, batch.compressionType());
      assertEquals(2, batch.lastOffset());
    }
  }

  @Test
  void anOldMagicIsRefusedWithTheProtocolsErrorAndStoresNothing() throws Exception {
    node.log().createTopic("old-magic", 1, Map.of()).toCompletableFuture().get();
    MemoryRecordsBuilder builder =
        MemoryRecords.builder(
            ByteBuffer.allocate(256),
            RecordBatch.MAGIC_VALUE_V1,
            Compression.NONE,
            TimestampType.CREATE_TIME,
            0L);
    builder.append(1L, "k".getBytes(), "v".getBytes());
    try (RawKafkaClient raw = new RawKafkaClient(node.port())) {
      var answer = produce(raw, "old-magic", builder.build());
      assertEquals(Errors.UNSUPPORTED_FOR_MESSAGE_FORMAT.code(), answer.errorCode());
    }
    var partition = node.log().describeTopic("old-magic").toCompletableFuture().get();
    assertEquals(0, partition.partitions().getFirst().logEndOffset(), "nothing stored");
  }

  @Test
  void aLogAppendTimeTopicStampsTheBatchAndItsCrcStillChecks() throws Exception {
    try (RawKafkaClient raw = new RawKafkaClient(node.port())) {
      long before = System.currentTimeMillis();
      var answer = produce(raw, "appended", zstdBatch("c", 2));
      assertEquals(Errors.NONE.code(), answer.errorCode());
      assertTrue(answer.logAppendTimeMs() >= before, "the append time is answered");
      RecordBatch batch = fetch(raw, "appended", 0).batches().iterator().next();
      batch.ensureValid();
      assertEquals(TimestampType.LOG_APPEND_TIME, batch.timestampType());
      assertEquals(answer.logAppendTimeMs(), batch.maxTimestamp());
    }
  }
}
