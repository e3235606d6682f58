package dev.cohort.kafka.internal;

import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.ProducerRecord;
import dev.cohort.log.TopicConfig;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.internals.CloseableIterator;

/**
 * Converts between Kafka record batches and the stream-log's records (first phase: produced batches
 * are decoded into records, fetched records are encoded into uncompressed v2 batches). Decoding
 * checks each batch's CRC and magic; headers with a repeated key keep the last value, because the
 * stream-log's records hold headers as a map.
 */
final class RecordConversion {
  private RecordConversion() {}

  /** A produced batch that cannot be stored, with the Kafka error it gets. */
  static final class InvalidBatch extends RuntimeException {
    final org.apache.kafka.common.protocol.Errors error;

    InvalidBatch(org.apache.kafka.common.protocol.Errors error, String message) {
      super(message, null, false, false);
      this.error = error;
    }
  }

  /** One produced batch, decoded: the producer fields (-1 when not idempotent) and its records. */
  record DecodedBatch(
      long producerId, short producerEpoch, int baseSequence, List<ProducerRecord> records) {}

  static List<DecodedBatch> decode(MemoryRecords records, String topic, int partition) {
    List<DecodedBatch> batches = new ArrayList<>();
    for (RecordBatch batch : records.batches()) {
      if (batch.magic() != RecordBatch.MAGIC_VALUE_V2) {
        throw new InvalidBatch(
            org.apache.kafka.common.protocol.Errors.UNSUPPORTED_FOR_MESSAGE_FORMAT,
            "record batches must be of magic 2, got " + batch.magic());
      }
      try {
        batch.ensureValid();
      } catch (RuntimeException e) {
        throw new InvalidBatch(
            org.apache.kafka.common.protocol.Errors.CORRUPT_MESSAGE,
            "record batch is corrupt: " + e.getMessage());
      }
      if (batch.isTransactional() || batch.isControlBatch()) {
        throw new InvalidBatch(
            org.apache.kafka.common.protocol.Errors.INVALID_RECORD,
            "transactional and control batches are not supported");
      }
      List<ProducerRecord> decoded = new ArrayList<>();
      try (CloseableIterator<Record> it =
          batch.streamingIterator(
              org.apache.kafka.common.utils.internals.BufferSupplier.NO_CACHING)) {
        while (it.hasNext()) {
          Record r = it.next();
          decoded.add(
              new ProducerRecord(
                  topic,
                  partition,
                  r.hasKey() ? bytes(r.key()) : null,
                  r.hasValue() ? bytes(r.value()) : null,
                  headers(r.headers()),
                  r.timestamp()));
        }
      } catch (InvalidBatch e) {
        throw e;
      } catch (RuntimeException e) {
        throw new InvalidBatch(
            org.apache.kafka.common.protocol.Errors.CORRUPT_MESSAGE,
            "records cannot be read: " + e.getMessage());
      }
      if (decoded.isEmpty()) {
        throw new InvalidBatch(
            org.apache.kafka.common.protocol.Errors.INVALID_RECORD,
            "a record batch without records");
      }
      batches.add(
          new DecodedBatch(
              batch.hasProducerId() ? batch.producerId() : -1,
              batch.producerEpoch(),
              batch.baseSequence(),
              decoded));
    }
    return batches;
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.duplicate().get(out);
    return out;
  }

  private static Map<String, byte[]> headers(Header[] headers) {
    if (headers.length == 0) {
      return Map.of();
    }
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (Header h : headers) {
      out.put(h.key(), h.value() == null ? new byte[0] : h.value());
    }
    return out;
  }

  /**
   * Encodes records read from one partition as uncompressed v2 batches: a new batch starts where
   * the timestamp type changes, or on log-append-time topics where the append time changes.
   */
  static MemoryRecords encode(List<ConsumerRecord> records) {
    if (records.isEmpty()) {
      return MemoryRecords.EMPTY;
    }
    int estimate = 64;
    for (ConsumerRecord r : records) {
      estimate += 32 + length(r.key()) + length(r.value());
      for (Map.Entry<String, byte[]> h : r.headers().entrySet()) {
        estimate += 16 + h.getKey().length() * 3 + h.getValue().length;
      }
    }
    ByteBuffer buffer = ByteBuffer.allocate(estimate);
    MemoryRecordsBuilder builder = null;
    ConsumerRecord first = null;
    for (ConsumerRecord r : records) {
      if (builder == null || !sameBatch(first, r)) {
        if (builder != null) {
          builder.close();
          buffer = builder.buffer();
        }
        first = r;
        TimestampType type = kafkaType(r.timestampType());
        builder =
            MemoryRecords.builder(
                buffer,
                RecordBatch.MAGIC_VALUE_V2,
                Compression.NONE,
                type,
                r.offset(),
                type == TimestampType.LOG_APPEND_TIME ? r.timestamp() : RecordBatch.NO_TIMESTAMP);
      }
      builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), r.value(), kafkaHeaders(r));
    }
    builder.close();
    ByteBuffer written = builder.buffer();
    written.flip();
    return MemoryRecords.readableRecords(written);
  }

  private static boolean sameBatch(ConsumerRecord first, ConsumerRecord next) {
    if (first.timestampType() != next.timestampType()) {
      return false;
    }
    return first.timestampType() != TopicConfig.TimestampType.LOG_APPEND_TIME
        || first.timestamp() == next.timestamp();
  }

  private static TimestampType kafkaType(TopicConfig.TimestampType type) {
    return type == TopicConfig.TimestampType.LOG_APPEND_TIME
        ? TimestampType.LOG_APPEND_TIME
        : TimestampType.CREATE_TIME;
  }

  private static Header[] kafkaHeaders(ConsumerRecord r) {
    if (r.headers().isEmpty()) {
      return Record.EMPTY_HEADERS;
    }
    Header[] out = new Header[r.headers().size()];
    int i = 0;
    for (Map.Entry<String, byte[]> h : r.headers().entrySet()) {
      out[i++] = new RecordHeader(h.getKey(), h.getValue());
    }
    return out;
  }

  private static int length(byte[] bytes) {
    return bytes == null ? 0 : bytes.length;
  }
}
