package dev.cohort.kafka.internal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.common.utils.internals.CloseableIterator;

/**
 * The record batches of one partition in a Produce request, checked as Kafka's broker checks them
 * before anything is stored, and copied out of the request as they are: the stream-log stores these
 * bytes (offsets assigned) and fetches return them unchanged, so records are never decoded into
 * stream-log records and encoded again.
 *
 * <p>Invariants: a batch is accepted only if it is of magic 2 (older magics get
 * UNSUPPORTED_FOR_MESSAGE_FORMAT), its CRC matches and its records can be read and are as many as
 * its header says (else CORRUPT_MESSAGE), it is neither transactional nor a control batch and holds
 * records (else INVALID_RECORD); one bad batch refuses the partition's whole request. Stateless.
 */
final class ProducedBatches {
  private ProducedBatches() {}

  /** A produced batch that cannot be stored, with the Kafka error it gets. */
  static final class InvalidBatch extends RuntimeException {
    final Errors error;

    InvalidBatch(Errors error, String message) {
      super(message, null, false, false);
      this.error = error;
    }
  }

  /** One checked batch: its bytes, and whether it carries a producer id (idempotence). */
  record Batch(byte[] bytes, boolean idempotent) {}

  static List<Batch> check(MemoryRecords records) {
    List<Batch> batches = new ArrayList<>();
    for (MutableRecordBatch batch : records.batches()) {
      if (batch.magic() != RecordBatch.MAGIC_VALUE_V2) {
        throw new InvalidBatch(
            Errors.UNSUPPORTED_FOR_MESSAGE_FORMAT,
            "record batches must be of magic 2, got " + batch.magic());
      }
      try {
        batch.ensureValid();
      } catch (RuntimeException e) {
        throw new InvalidBatch(
            Errors.CORRUPT_MESSAGE, "record batch is corrupt: " + e.getMessage());
      }
      if (batch.isTransactional() || batch.isControlBatch()) {
        throw new InvalidBatch(
            Errors.INVALID_RECORD, "transactional and control batches are not supported");
      }
      int count = countRecords(batch);
      if (count == 0) {
        throw new InvalidBatch(Errors.INVALID_RECORD, "a record batch without records");
      }
      ByteBuffer bytes = ByteBuffer.allocate(batch.sizeInBytes());
      batch.writeTo(bytes);
      batches.add(new Batch(bytes.array(), batch.hasProducerId()));
    }
    return batches;
  }

  /**
   * The records a batch holds, read without copying keys and values; they must match its header.
   */
  private static int countRecords(MutableRecordBatch batch) {
    int count = 0;
    try (CloseableIterator<Record> it = batch.skipKeyValueIterator(BufferSupplier.NO_CACHING)) {
      while (it.hasNext()) {
        it.next();
        count++;
      }
    } catch (RuntimeException e) {
      throw new InvalidBatch(Errors.CORRUPT_MESSAGE, "records cannot be read: " + e.getMessage());
    }
    Integer declared = batch.countOrNull();
    if (declared == null || declared != count) {
      throw new InvalidBatch(
          Errors.CORRUPT_MESSAGE,
          "the batch header declares " + declared + " records but it holds " + count);
    }
    return count;
  }
}
