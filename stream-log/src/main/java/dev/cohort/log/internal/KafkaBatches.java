package dev.cohort.log.internal;

import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.LogError;
import dev.cohort.log.TopicConfig.CompressionType;
import dev.cohort.log.TopicConfig.TimestampType;
import dev.cohort.persistence.Rejection;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.common.utils.internals.CloseableIterator;

/**
 * The stream-log's one batch format, Kafka's record batch v2 ({@link KafkaBatch}), built and read
 * with kafka-clients' own classes: batches built from records (HTTP and embedded produces), batches
 * produced by Kafka clients checked as they arrive, offsets and the append time assigned, records
 * decoded for the HTTP and embedded APIs, batches rewritten by compaction, and batches of the
 * format before v2 ({@link StoredBatch}) converted on read.
 *
 * <p>Invariants: every batch it returns is a valid v2 batch (its CRC matches); records keep their
 * offsets, timestamps, keys, values and headers through every conversion; compression is kept (a
 * produced batch is stored as it came unless its topic names another codec, a rewritten one in its
 * own codec). Stateless and thread-safe.
 */
public final class KafkaBatches {
  /** What a record counts for besides key, value and headers when sizing batches. */
  public static final int RECORD_OVERHEAD_BYTES = 21;

  private KafkaBatches() {}

  /** The bytes a record adds to an uncompressed batch, for {@code batch.size} accounting. */
  public static int estimateSize(byte[] key, byte[] value, Map<String, byte[]> headers) {
    int size = RECORD_OVERHEAD_BYTES + length(key) + length(value);
    for (Map.Entry<String, byte[]> header : headers.entrySet()) {
      size += 10 + header.getKey().length() * 3 + length(header.getValue());
    }
    return size;
  }

  private static int length(byte[] bytes) {
    return bytes == null ? 0 : bytes.length;
  }

  /**
   * A batch ready to send, offsets not yet assigned (base offset 0): built here, or produced by a
   * Kafka client and checked by {@link #produced}.
   *
   * @param bytes one v2 record batch
   * @param recordCount its records
   * @param anyNullKey whether a record has no key (compacted topics refuse it); false when unknown
   *     because the topic does not compact
   */
  public record Encoded(byte[] bytes, int recordCount, boolean anyNullKey)
      implements dev.cohort.persistence.CohortSerializable {
    public int sizeBytes() {
      return bytes.length;
    }
  }

  /** Accumulates the records of one batch; not thread-safe. */
  public static final class Builder {
    private record Pending(byte[] key, byte[] value, Header[] headers, long timestamp) {}

    private final List<Pending> records = new ArrayList<>();
    private int sizeBytes = KafkaBatch.HEADER_BYTES;
    private boolean nullKey;

    public void add(byte[] key, byte[] value, Map<String, byte[]> headers, long timestamp) {
      records.add(new Pending(key, value, kafkaHeaders(headers), timestamp));
      sizeBytes += estimateSize(key, value, headers);
      nullKey |= key == null;
    }

    public int count() {
      return records.size();
    }

    /** About the batch's uncompressed size. */
    public int sizeBytes() {
      return sizeBytes;
    }

    /** The records as one v2 batch compressed with {@code codec}; the builder stays usable. */
    public Encoded build(CompressionType codec) {
      MemoryRecordsBuilder builder =
          MemoryRecords.builder(
              ByteBuffer.allocate(sizeBytes),
              RecordBatch.MAGIC_VALUE_V2,
              compression(codec),
              org.apache.kafka.common.record.TimestampType.CREATE_TIME,
              0L);
      for (int i = 0; i < records.size(); i++) {
        Pending r = records.get(i);
        builder.appendWithOffset(i, r.timestamp(), r.key(), r.value(), r.headers());
      }
      return new Encoded(bytesOf(builder.build()), records.size(), nullKey);
    }
  }

  /**
   * A batch produced by a Kafka client, checked: one whole batch of magic 2 with a valid CRC, not
   * transactional or a control batch, with at least one record; on a compacted topic ({@code
   * compacted}) its records' keys are read to learn whether one is missing. Null bytes or a bad
   * batch: an {@code invalid_record} rejection (the Kafka listener has refused such batches with
   * the protocol's own errors before they get here).
   */
  public static Encoded produced(byte[] bytes, boolean compacted) {
    MutableRecordBatch batch;
    try {
      if (bytes == null || bytes.length < KafkaBatch.HEADER_BYTES) {
        throw new IllegalArgumentException("shorter than a batch header");
      }
      var batches = MemoryRecords.readableRecords(ByteBuffer.wrap(bytes)).batches().iterator();
      batch = batches.next();
      if (batch.magic() != RecordBatch.MAGIC_VALUE_V2 || batch.sizeInBytes() != bytes.length) {
        throw new IllegalArgumentException("not one record batch of magic 2");
      }
      batch.ensureValid();
    } catch (RuntimeException e) {
      throw LogError.INVALID_RECORD.exception("corrupt record batch: " + e.getMessage(), e);
    }
    Integer count = batch.countOrNull();
    if (batch.isTransactional() || batch.isControlBatch() || count == null || count < 1) {
      throw LogError.INVALID_RECORD.exception(
          "a record batch must hold records and be neither transactional nor a control batch");
    }
    boolean nullKey = false;
    if (compacted) {
      try (CloseableIterator<Record> it = batch.skipKeyValueIterator(BufferSupplier.NO_CACHING)) {
        while (it.hasNext()) {
          nullKey |= !it.next().hasKey();
        }
      } catch (RuntimeException e) {
        throw LogError.INVALID_RECORD.exception("records cannot be read: " + e.getMessage(), e);
      }
    }
    return new Encoded(bytes, count, nullKey);
  }

  /**
   * {@code produced} in the topic's codec, as Kafka's broker does: unchanged when the topic keeps
   * the producer's codec ({@code producer}) or the batch already uses the topic's; otherwise its
   * records rebuilt in {@code topicCodec} with the same offsets, timestamps and producer fields.
   */
  public static Encoded inTopicCodec(Encoded produced, CompressionType topicCodec) {
    MutableRecordBatch b = view(produced);
    Compression target = compression(topicCodec);
    if (topicCodec == CompressionType.PRODUCER || b.compressionType() == target.type()) {
      return produced;
    }
    MemoryRecordsBuilder builder =
        MemoryRecords.builder(
            ByteBuffer.allocate(produced.sizeBytes() + KafkaBatch.HEADER_BYTES),
            RecordBatch.MAGIC_VALUE_V2,
            target,
            b.timestampType(),
            b.baseOffset(),
            RecordBatch.NO_TIMESTAMP,
            b.producerId(),
            b.producerEpoch(),
            b.baseSequence(),
            false,
            b.partitionLeaderEpoch());
    try (CloseableIterator<Record> it = b.streamingIterator(BufferSupplier.NO_CACHING)) {
      it.forEachRemaining(
          r ->
              builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), r.value(), r.headers()));
    } catch (RuntimeException e) {
      throw LogError.INVALID_RECORD.exception("records cannot be read: " + e.getMessage(), e);
    }
    return new Encoded(bytesOf(builder.build()), produced.recordCount(), produced.anyNullKey());
  }

  private static MutableRecordBatch view(Encoded batch) {
    return MemoryRecords.readableRecords(ByteBuffer.wrap(batch.bytes()))
        .batches()
        .iterator()
        .next();
  }

  /** Kafka's view of {@code batch}'s header (producer id, epoch, base sequence). */
  static RecordBatch header(Encoded batch) {
    return view(batch);
  }

  /** Why {@code batch} is not a batch at all; null when it is one. */
  static Rejection malformed(Encoded batch) {
    if (batch == null
        || batch.bytes() == null
        || batch.bytes().length < KafkaBatch.HEADER_BYTES
        || batch.recordCount() < 1) {
      return LogError.INVALID_REQUEST.rejection("a produce batch must hold records");
    }
    return null;
  }

  /**
   * {@code batch} as the partition stores it: a copy with its offsets from {@code baseOffset}
   * (outside the CRC) and, when {@code appendTime} is not -1, the {@code LogAppendTime} type and
   * that time (the CRC recomputed). The producer's bytes are never changed.
   */
  static KafkaBatch stored(Encoded batch, long baseOffset, long appendTime) {
    byte[] copy = batch.bytes().clone();
    ByteBuffer.wrap(copy).putLong(0, baseOffset);
    if (appendTime >= 0) {
      new KafkaBatch(copy)
          .view()
          .setMaxTimestamp(
              org.apache.kafka.common.record.TimestampType.LOG_APPEND_TIME, appendTime);
    }
    return new KafkaBatch(copy);
  }

  /** Every record of {@code batch}, in offset order, with their buffers decompressed. */
  static List<Record> records(KafkaBatch batch) {
    List<Record> out = new ArrayList<>(batch.recordCount());
    try (CloseableIterator<Record> it = batch.view().streamingIterator(BufferSupplier.NO_CACHING)) {
      it.forEachRemaining(out::add);
    } catch (RuntimeException e) {
      throw new RecordBatches.CorruptBatchException(
          "batch at offset " + batch.baseOffset() + " cannot be read: " + e, e);
    }
    return out;
  }

  /**
   * Records of {@code batch} at or after {@code fromOffset}, at most {@code max}, as consumer
   * records; {@code LogAppendTime} batches report the append time. A header repeated in a record
   * keeps its last value (the stream-log's records hold headers as a map); a null header value
   * reads as empty.
   */
  public static List<ConsumerRecord> decode(
      String topic, int partition, KafkaBatch batch, long fromOffset, int max) {
    List<ConsumerRecord> out = new ArrayList<>();
    if (max <= 0 || batch.lastOffset() < fromOffset) {
      return out;
    }
    TimestampType type =
        batch.logAppendTime() >= 0 ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME;
    for (Record r : records(batch)) {
      if (r.offset() < fromOffset) {
        continue;
      }
      out.add(
          new ConsumerRecord(
              topic,
              partition,
              r.offset(),
              r.timestamp(),
              type,
              r.hasKey() ? bytes(r.key()) : null,
              r.hasValue() ? bytes(r.value()) : null,
              headers(r.headers())));
      if (out.size() == max) {
        break;
      }
    }
    return out;
  }

  /**
   * {@code kept} (a subset of {@code original}'s records, same offsets) as a new batch with the
   * same base offset, last offset, codec, timestamp type and producer fields: what compaction
   * writes.
   */
  static KafkaBatch rewrite(KafkaBatch original, List<Record> kept) {
    MutableRecordBatch b = original.view();
    MemoryRecordsBuilder builder =
        MemoryRecords.builder(
            ByteBuffer.allocate(original.bytes().length),
            RecordBatch.MAGIC_VALUE_V2,
            Compression.of(b.compressionType()).build(),
            b.timestampType(),
            b.baseOffset(),
            original.logAppendTime() >= 0 ? original.logAppendTime() : RecordBatch.NO_TIMESTAMP,
            b.producerId(),
            b.producerEpoch(),
            b.baseSequence(),
            false,
            b.partitionLeaderEpoch());
    for (Record r : kept) {
      builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), r.value(), r.headers());
    }
    builder.overrideLastOffset(b.lastOffset());
    return new KafkaBatch(bytesOf(builder.build()));
  }

  /**
   * A batch of the format before v2, converted: the same offsets (gaps and last offset included),
   * timestamps, append time, keys, values, headers and codec. Deterministic, so recovery converts
   * an old event the same way every time.
   */
  static KafkaBatch fromLegacy(StoredBatch old) {
    boolean appendTime = old.logAppendTime() >= 0;
    var type =
        appendTime
            ? org.apache.kafka.common.record.TimestampType.LOG_APPEND_TIME
            : org.apache.kafka.common.record.TimestampType.CREATE_TIME;
    List<RecordBatches.Entry> entries = RecordBatches.entries(old);
    ByteBuffer buffer = ByteBuffer.allocate(old.uncompressedBytes() + 2 * KafkaBatch.HEADER_BYTES);
    if (entries.isEmpty()) {
      DefaultRecordBatch.writeEmptyHeader(
          buffer,
          RecordBatch.MAGIC_VALUE_V2,
          RecordBatch.NO_PRODUCER_ID,
          RecordBatch.NO_PRODUCER_EPOCH,
          RecordBatch.NO_SEQUENCE,
          old.baseOffset(),
          old.lastOffset(),
          RecordBatch.NO_PARTITION_LEADER_EPOCH,
          type,
          appendTime ? old.logAppendTime() : old.maxTimestamp(),
          false,
          false);
      buffer.flip();
      return new KafkaBatch(bytesOf(MemoryRecords.readableRecords(buffer)));
    }
    MemoryRecordsBuilder builder =
        MemoryRecords.builder(
            buffer,
            RecordBatch.MAGIC_VALUE_V2,
            compression(old.codec()),
            type,
            old.baseOffset(),
            appendTime ? old.logAppendTime() : RecordBatch.NO_TIMESTAMP);
    for (RecordBatches.Entry e : entries) {
      builder.appendWithOffset(
          e.offset(), e.timestamp(), e.key(), e.value(), kafkaHeaders(e.headers()));
    }
    builder.overrideLastOffset(old.lastOffset());
    return new KafkaBatch(bytesOf(builder.build()));
  }

  static Compression compression(CompressionType codec) {
    return switch (codec) {
      case NONE, PRODUCER -> Compression.NONE;
      case SNAPPY -> Compression.snappy().build();
      case LZ4 -> Compression.lz4().build();
      case ZSTD -> Compression.zstd().build();
    };
  }

  private static byte[] bytesOf(MemoryRecords records) {
    ByteBuffer buffer = records.buffer();
    byte[] out = new byte[buffer.remaining()];
    buffer.get(out);
    return out;
  }

  private static Header[] kafkaHeaders(Map<String, byte[]> headers) {
    if (headers.isEmpty()) {
      return Record.EMPTY_HEADERS;
    }
    Header[] out = new Header[headers.size()];
    int i = 0;
    for (Map.Entry<String, byte[]> h : headers.entrySet()) {
      out[i++] = new RecordHeader(h.getKey(), h.getValue());
    }
    return out;
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
}
