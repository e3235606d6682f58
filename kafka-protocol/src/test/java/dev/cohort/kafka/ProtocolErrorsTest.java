package dev.cohort.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.List;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Bad and unsupported requests on raw sockets: an API the listener does not serve is answered
 * UNSUPPORTED_VERSION on a connection that stays usable; an oversized or unparsable frame closes
 * only its own connection; a batch with a wrong CRC is refused with CORRUPT_MESSAGE and writes
 * nothing; an unknown topic gets UNKNOWN_TOPIC_OR_PARTITION.
 */
@Tag("integration")
class ProtocolErrorsTest {
  private static KafkaTestNode node;

  @BeforeAll
  static void start() throws Exception {
    node =
        KafkaTestNode.start(
            Files.createTempDirectory("cohort-kafka-errors"),
            KafkaTestNode.freePort(),
            "cohort.kafka.socket.request.max.bytes = 64KiB");
    node.log().createTopic("t", 1, java.util.Map.of()).toCompletableFuture().get();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static ApiVersionsResponseData apiVersions(RawKafkaClient raw) throws IOException {
    return (ApiVersionsResponseData)
        raw.call(
                ApiKeys.API_VERSIONS,
                (short) 3,
                new ApiVersionsRequestData()
                    .setClientSoftwareName("raw")
                    .setClientSoftwareVersion("1"))
            .data();
  }

  @Test
  void unsupportedApiIsAnsweredAndTheConnectionStaysUsable() throws Exception {
    try (RawKafkaClient raw = new RawKafkaClient(node.port())) {
      ApiVersionsResponseData versions = apiVersions(raw);
      assertEquals(Errors.NONE.code(), versions.errorCode());
      assertTrue(versions.apiKeys().find(ApiKeys.PRODUCE.id) != null);
      assertTrue(versions.apiKeys().find(ApiKeys.ADD_PARTITIONS_TO_TXN.id) == null);
      assertTrue(versions.apiKeys().find(ApiKeys.DELETE_RECORDS.id) == null);

      DeleteRecordsRequestData deleteRecords =
          new DeleteRecordsRequestData()
              .setTopics(
                  List.of(
                      new DeleteRecordsRequestData.DeleteRecordsTopic()
                          .setName("t")
                          .setPartitions(
                              List.of(
                                  new DeleteRecordsRequestData.DeleteRecordsPartition()
                                      .setPartitionIndex(0)
                                      .setOffset(0)))));
      DeleteRecordsResponseData answer =
          (DeleteRecordsResponseData)
              raw.call(ApiKeys.DELETE_RECORDS, (short) 2, deleteRecords).data();
      assertEquals(
          Errors.UNSUPPORTED_VERSION.code(),
          answer.topics().find("t").partitions().find(0).errorCode());

      assertEquals(Errors.NONE.code(), apiVersions(raw).errorCode(), "still usable");
    }
  }

  @Test
  void oversizedAndUnparsableFramesCloseOnlyTheirConnection() throws Exception {
    try (RawKafkaClient bystander = new RawKafkaClient(node.port());
        RawKafkaClient oversized = new RawKafkaClient(node.port());
        RawKafkaClient garbage = new RawKafkaClient(node.port())) {
      assertEquals(Errors.NONE.code(), apiVersions(bystander).errorCode());

      oversized.out.writeInt(65 * 1024);
      oversized.out.write(new byte[1024]);
      oversized.out.flush();
      assertTrue(oversized.closedByServer());

      byte[] nonsense = {0x7f, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0};
      garbage.sendFrame(nonsense, 0, nonsense.length);
      assertTrue(garbage.closedByServer());

      assertEquals(Errors.NONE.code(), apiVersions(bystander).errorCode());
    }
  }

  private static ProduceRequestData produce(String topic, MemoryRecords records) {
    return RawKafkaClient.produce(topic, 0, records);
  }

  private static long latestOffset(RawKafkaClient raw) throws IOException {
    ListOffsetsRequestData request =
        new ListOffsetsRequestData()
            .setReplicaId(-1)
            .setTopics(
                List.of(
                    new ListOffsetsRequestData.ListOffsetsTopic()
                        .setName("t")
                        .setPartitions(
                            List.of(
                                new ListOffsetsRequestData.ListOffsetsPartition()
                                    .setPartitionIndex(0)
                                    .setTimestamp(-1)))));
    ListOffsetsResponseData answer =
        (ListOffsetsResponseData) raw.call(ApiKeys.LIST_OFFSETS, (short) 7, request).data();
    return answer.topics().getFirst().partitions().getFirst().offset();
  }

  @Test
  void aWrongCrcIsRefusedAndWritesNothingAndUnknownTopicsAreNamed() throws Exception {
    try (RawKafkaClient raw = new RawKafkaClient(node.port())) {
      long before = latestOffset(raw);
      MemoryRecords good =
          MemoryRecords.withRecords(
              Compression.NONE, new SimpleRecord("k".getBytes(), "v".getBytes()));
      ByteBuffer corrupt = ByteBuffer.allocate(good.sizeInBytes());
      corrupt.put(good.buffer().duplicate());
      corrupt.put(corrupt.limit() - 1, (byte) (corrupt.get(corrupt.limit() - 1) ^ 0x55));
      corrupt.flip();
      ProduceResponseData refused =
          (ProduceResponseData)
              raw.call(
                      ApiKeys.PRODUCE,
                      (short) 9,
                      produce("t", MemoryRecords.readableRecords(corrupt)))
                  .data();
      assertEquals(
          Errors.CORRUPT_MESSAGE.code(),
          refused.responses().iterator().next().partitionResponses().getFirst().errorCode());
      assertEquals(before, latestOffset(raw), "nothing written");

      ProduceResponseData unknown =
          (ProduceResponseData) raw.call(ApiKeys.PRODUCE, (short) 9, produce("nope", good)).data();
      assertEquals(
          Errors.UNKNOWN_TOPIC_OR_PARTITION.code(),
          unknown.responses().iterator().next().partitionResponses().getFirst().errorCode());

      ProduceResponseData written =
          (ProduceResponseData) raw.call(ApiKeys.PRODUCE, (short) 9, produce("t", good)).data();
      assertEquals(
          Errors.NONE.code(),
          written.responses().iterator().next().partitionResponses().getFirst().errorCode());
      assertEquals(before + 1, latestOffset(raw));
      assertFalse(raw.socket.isClosed());
    }
  }
}
