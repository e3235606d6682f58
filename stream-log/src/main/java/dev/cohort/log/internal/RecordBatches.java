package dev.cohort.log.internal;

import com.github.luben.zstd.Zstd;
import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.LogError;
import dev.cohort.log.TopicConfig.CompressionType;
import dev.cohort.log.TopicConfig.TimestampType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jpountz.lz4.LZ4Factory;
import org.xerial.snappy.Snappy;

/**
 * Encodes and decodes the payload of a {@link StoredBatch}.
 *
 * <p>Uncompressed payload format, one entry per record, all integers unsigned LEB128 varints unless
 * noted:
 *
 * <pre>
 *   offsetDelta            offset − baseOffset
 *   timestampDelta         zigzag varlong: timestamp − baseTimestamp
 *   keyLength + 1          0 = null key
 *   key bytes
 *   valueLength + 1        0 = null value (a tombstone)
 *   value bytes
 *   headerCount
 *   per header: nameLength, UTF-8 name, valueLength + 1, value bytes
 * </pre>
 *
 * The payload is then compressed whole with the batch's codec (snappy raw block, lz4 block with the
 * uncompressed length kept in the batch, zstd frame, or none). Stateless and thread-safe.
 */
public final class RecordBatches {
  /** What a batch counts for besides its payload (offsets, timestamps, codec, journal framing). */
  public static final int BATCH_OVERHEAD_BYTES = 61;

  /** What a record counts for besides key, value and headers when sizing batches. */
  public static final int RECORD_OVERHEAD_BYTES = 21;

  private static final int ZSTD_LEVEL = 3;
  private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();

  private RecordBatches() {}

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

  /** Accumulates records of one batch; not thread-safe. */
  public static final class Builder {
    private final ByteSink sink = new ByteSink(256);
    private long baseTimestamp = Long.MIN_VALUE;
    private long maxTimestamp = Long.MIN_VALUE;
    private int count;
    private boolean nullKey;

    public void add(byte[] key, byte[] value, Map<String, byte[]> headers, long timestamp) {
      if (baseTimestamp == Long.MIN_VALUE) {
        baseTimestamp = timestamp;
      }
      maxTimestamp = Math.max(maxTimestamp, timestamp);
      sink.writeVarLong(count);
      sink.writeVarLong(zigzag(timestamp - baseTimestamp));
      writeBytes(sink, key);
      writeBytes(sink, value);
      sink.writeVarLong(headers.size());
      for (Map.Entry<String, byte[]> header : headers.entrySet()) {
        byte[] name = header.getKey().getBytes(StandardCharsets.UTF_8);
        sink.writeVarLong(name.length);
        sink.write(name, 0, name.length);
        writeBytes(sink, header.getValue());
      }
      nullKey |= key == null;
      count++;
    }

    public int count() {
      return count;
    }

    public int sizeBytes() {
      return sink.size();
    }

    /** The batch's payload compressed with {@code codec}; the builder stays usable. */
    public Encoded build(CompressionType codec) {
      byte[] raw = sink.toByteArray();
      return new Encoded(
          codec, compress(codec, raw), raw.length, count, baseTimestamp, maxTimestamp, nullKey);
    }
  }

  /** A payload ready to send; the partition gives it offsets. */
  public record Encoded(
      CompressionType codec,
      byte[] payload,
      int uncompressedBytes,
      int recordCount,
      long baseTimestamp,
      long maxTimestamp,
      boolean anyNullKey)
      implements dev.cohort.persistence.CohortSerializable {}

  /** One decoded record with its offset (the topic and partition are the caller's). */
  public record Entry(
      long offset, long timestamp, byte[] key, byte[] value, Map<String, byte[]> headers) {}

  /** Every record of {@code batch}, in offset order. */
  public static List<Entry> entries(StoredBatch batch) {
    byte[] raw = decompress(batch.codec(), batch.payload(), batch.uncompressedBytes());
    ByteSource in = new ByteSource(raw);
    List<Entry> entries = new ArrayList<>(batch.recordCount());
    while (in.remaining() > 0) {
      long offset = batch.baseOffset() + in.readVarLong();
      long timestamp = batch.baseTimestamp() + unzigzag(in.readVarLong());
      byte[] key = readBytes(in);
      byte[] value = readBytes(in);
      int headerCount = (int) in.readVarLong();
      Map<String, byte[]> headers = headerCount == 0 ? Map.of() : new LinkedHashMap<>();
      for (int i = 0; i < headerCount; i++) {
        int nameLength = (int) in.readVarLong();
        String name = new String(raw, in.position(), nameLength, StandardCharsets.UTF_8);
        in.skip(nameLength);
        headers.put(name, readBytes(in));
      }
      entries.add(new Entry(offset, timestamp, key, value, headers));
    }
    if (entries.size() != batch.recordCount()) {
      throw new CorruptBatchException(
          "batch at offset "
              + batch.baseOffset()
              + " declares "
              + batch.recordCount()
              + " records but holds "
              + entries.size());
    }
    return entries;
  }

  /**
   * Records of {@code batch} at or after {@code fromOffset}, at most {@code max}, as consumer
   * records; {@code LogAppendTime} batches report the append time.
   */
  public static List<ConsumerRecord> decode(
      String topic, int partition, StoredBatch batch, long fromOffset, int max) {
    List<ConsumerRecord> records = new ArrayList<>();
    if (max <= 0 || batch.lastOffset() < fromOffset) {
      return records;
    }
    TimestampType type =
        batch.logAppendTime() >= 0 ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME;
    for (Entry entry : entries(batch)) {
      if (entry.offset() < fromOffset) {
        continue;
      }
      long timestamp = batch.logAppendTime() >= 0 ? batch.logAppendTime() : entry.timestamp();
      records.add(
          new ConsumerRecord(
              topic,
              partition,
              entry.offset(),
              timestamp,
              type,
              entry.key(),
              entry.value(),
              entry.headers()));
      if (records.size() == max) {
        break;
      }
    }
    return records;
  }

  /**
   * {@code entries} (a subset of {@code original}'s, same offsets) as a new batch with the same
   * offset range, codec and append time: what compaction writes.
   */
  public static StoredBatch rewrite(StoredBatch original, List<Entry> entries) {
    ByteSink sink = new ByteSink(256);
    long maxTimestamp = Long.MIN_VALUE;
    for (Entry entry : entries) {
      sink.writeVarLong(entry.offset() - original.baseOffset());
      sink.writeVarLong(zigzag(entry.timestamp() - original.baseTimestamp()));
      writeBytes(sink, entry.key());
      writeBytes(sink, entry.value());
      sink.writeVarLong(entry.headers().size());
      for (Map.Entry<String, byte[]> header : entry.headers().entrySet()) {
        byte[] name = header.getKey().getBytes(StandardCharsets.UTF_8);
        sink.writeVarLong(name.length);
        sink.write(name, 0, name.length);
        writeBytes(sink, header.getValue());
      }
      maxTimestamp = Math.max(maxTimestamp, entry.timestamp());
    }
    byte[] raw = sink.toByteArray();
    return new StoredBatch(
        original.baseOffset(),
        original.lastOffset(),
        entries.size(),
        original.baseTimestamp(),
        entries.isEmpty() ? original.maxTimestamp() : maxTimestamp,
        original.logAppendTime(),
        original.codec(),
        raw.length,
        compress(original.codec(), raw));
  }

  static byte[] compress(CompressionType codec, byte[] raw) {
    try {
      return switch (codec) {
        case NONE, PRODUCER -> raw;
        case SNAPPY -> Snappy.compress(raw);
        case LZ4 -> LZ4.fastCompressor().compress(raw);
        case ZSTD -> Zstd.compress(raw, ZSTD_LEVEL);
      };
    } catch (IOException e) {
      throw LogError.INVALID_RECORD.exception("cannot compress: " + e, e);
    }
  }

  static byte[] decompress(CompressionType codec, byte[] payload, int uncompressedBytes) {
    try {
      return switch (codec) {
        case NONE, PRODUCER -> payload;
        case SNAPPY -> Snappy.uncompress(payload);
        case LZ4 -> LZ4.fastDecompressor().decompress(payload, uncompressedBytes);
        case ZSTD -> Zstd.decompress(payload, uncompressedBytes);
      };
    } catch (IOException | RuntimeException e) {
      throw new CorruptBatchException("cannot decompress a " + codec + " batch: " + e, e);
    }
  }

  private static void writeBytes(ByteSink sink, byte[] bytes) {
    if (bytes == null) {
      sink.writeVarLong(0);
    } else {
      sink.writeVarLong(bytes.length + 1L);
      sink.write(bytes, 0, bytes.length);
    }
  }

  private static byte[] readBytes(ByteSource in) {
    long lengthPlusOne = in.readVarLong();
    if (lengthPlusOne == 0) {
      return null;
    }
    return in.read((int) (lengthPlusOne - 1));
  }

  private static long zigzag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  private static long unzigzag(long v) {
    return (v >>> 1) ^ -(v & 1);
  }

  /** A batch whose bytes break the payload format. */
  public static final class CorruptBatchException extends RuntimeException {
    CorruptBatchException(String message) {
      super(message);
    }

    CorruptBatchException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private static final class ByteSink {
    private byte[] buffer;
    private int size;

    ByteSink(int capacity) {
      buffer = new byte[capacity];
    }

    void ensure(int extra) {
      if (size + extra > buffer.length) {
        buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + extra));
      }
    }

    void writeVarLong(long value) {
      ensure(10);
      long v = value;
      while ((v & ~0x7FL) != 0) {
        buffer[size++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      buffer[size++] = (byte) v;
    }

    void write(byte[] bytes, int offset, int length) {
      ensure(length);
      System.arraycopy(bytes, offset, buffer, size, length);
      size += length;
    }

    int size() {
      return size;
    }

    byte[] toByteArray() {
      return Arrays.copyOf(buffer, size);
    }
  }

  private static final class ByteSource {
    private final byte[] bytes;
    private int position;

    ByteSource(byte[] bytes) {
      this.bytes = bytes;
    }

    int remaining() {
      return bytes.length - position;
    }

    int position() {
      return position;
    }

    void skip(int n) {
      check(n);
      position += n;
    }

    byte[] read(int n) {
      check(n);
      byte[] out = Arrays.copyOfRange(bytes, position, position + n);
      position += n;
      return out;
    }

    long readVarLong() {
      long result = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        check(1);
        byte b = bytes[position++];
        result |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return result;
        }
      }
      throw new CorruptBatchException("varint longer than 10 bytes");
    }

    private void check(int n) {
      if (n < 0 || position + n > bytes.length) {
        throw new CorruptBatchException("batch payload ends early");
      }
    }
  }
}
