package dev.cohort.log.internal;

import com.github.luben.zstd.Zstd;
import dev.cohort.log.TopicConfig.CompressionType;
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
 * Reads the payload of a {@link StoredBatch}: Cohort's own batch format, which partitions stored
 * before they stored Kafka's record batches ({@link KafkaBatch}). Only read now, so that journals
 * and snapshots written in it stay readable: {@link KafkaBatches#fromLegacy} converts each such
 * batch on recovery.
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
  private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();

  private RecordBatches() {}

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

  private static byte[] readBytes(ByteSource in) {
    long lengthPlusOne = in.readVarLong();
    if (lengthPlusOne == 0) {
      return null;
    }
    return in.read((int) (lengthPlusOne - 1));
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
