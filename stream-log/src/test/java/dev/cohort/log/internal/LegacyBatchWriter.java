package dev.cohort.log.internal;

import com.github.luben.zstd.Zstd;
import dev.cohort.log.TopicConfig.CompressionType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import net.jpountz.lz4.LZ4Factory;
import org.xerial.snappy.Snappy;

/**
 * Writes batches in Cohort's own format, the one partitions stored before Kafka's record batches
 * ({@link StoredBatch}, read by {@link RecordBatches}): the writer the code had then, kept in the
 * tests only, to make the old-format fixtures and to test that the reader and {@link
 * KafkaBatches#fromLegacy} handle everything it wrote.
 */
final class LegacyBatchWriter {
  private static final int ZSTD_LEVEL = 3;
  private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();

  private LegacyBatchWriter() {}

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
      boolean anyNullKey) {}

  /** {@code e} as a partition stored it from {@code baseOffset} ({@code appendTime} -1: none). */
  static StoredBatch stored(Encoded e, long baseOffset, long appendTime) {
    return new StoredBatch(
        baseOffset,
        baseOffset + e.recordCount() - 1,
        e.recordCount(),
        e.baseTimestamp(),
        e.maxTimestamp(),
        appendTime,
        e.codec(),
        e.uncompressedBytes(),
        e.payload());
  }

  /**
   * {@code entries} (a subset of {@code original}'s, same offsets) as a new batch with the same
   * offset range, codec and append time: what compaction writes.
   */
  public static StoredBatch rewrite(StoredBatch original, List<RecordBatches.Entry> entries) {
    ByteSink sink = new ByteSink(256);
    long maxTimestamp = Long.MIN_VALUE;
    for (RecordBatches.Entry entry : entries) {
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
      throw new UncheckedIOException(e);
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

  private static long zigzag(long v) {
    return (v << 1) ^ (v >> 63);
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
}
