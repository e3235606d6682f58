package dev.cohort.kafka;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;

/**
 * A raw Kafka-protocol connection for tests: sends one request (encoded with kafka-clients'
 * generated classes) and reads one answer at a time, or sends arbitrary frames.
 */
final class RawKafkaClient implements AutoCloseable {
  private static final AtomicInteger correlation = new AtomicInteger();

  final Socket socket;
  final DataOutputStream out;
  final DataInputStream in;

  RawKafkaClient(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(20_000);
    out = new DataOutputStream(socket.getOutputStream());
    in = new DataInputStream(socket.getInputStream());
  }

  AbstractResponse call(ApiKeys key, short version, ApiMessage body) throws IOException {
    RequestHeader header = new RequestHeader(key, version, "raw", correlation.incrementAndGet());
    ByteBuffer bytes = RequestUtils.serialize(header.data(), header.headerVersion(), body, version);
    sendFrame(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
    int size = in.readInt();
    byte[] answer = new byte[size];
    in.readFully(answer);
    return AbstractResponse.parseResponse(ByteBuffer.wrap(answer), header);
  }

  void sendFrame(byte[] bytes, int offset, int length) throws IOException {
    out.writeInt(length);
    out.write(bytes, offset, length);
    out.flush();
  }

  boolean closedByServer() throws IOException {
    try {
      return in.read() == -1;
    } catch (EOFException | SocketException e) {
      return true;
    }
  }

  /** A Produce request (acks=all) of {@code records} to one partition. */
  static ProduceRequestData produce(String topic, int partition, MemoryRecords records) {
    ProduceRequestData.TopicProduceDataCollection topics =
        new ProduceRequestData.TopicProduceDataCollection();
    topics.add(
        new ProduceRequestData.TopicProduceData()
            .setName(topic)
            .setPartitionData(
                List.of(
                    new ProduceRequestData.PartitionProduceData()
                        .setIndex(partition)
                        .setRecords(records))));
    return new ProduceRequestData().setAcks((short) -1).setTimeoutMs(10_000).setTopicData(topics);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
