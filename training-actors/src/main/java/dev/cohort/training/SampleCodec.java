package dev.cohort.training;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The dataset record format: one sample per record value,
 *
 * <pre>
 *   offset 0   int32   label, in [0, classes)
 *   offset 4   float32 × features   the feature vector
 * </pre>
 *
 * all little-endian (what numpy's {@code '<i4'} and {@code '<f4'} write), so a record is {@code 4 +
 * 4 × features} bytes. No header and no version: the feature count and the class count come from
 * the job's model ({@code layers[0]} and {@code layers[-1]}), and every record of a dataset has the
 * same size.
 *
 * <p>Decoding validates and names the broken rule ({@link MalformedRecordException}): a record of
 * the wrong length, a label outside the classes, a NaN or infinite feature. Stateless and
 * thread-safe.
 */
public final class SampleCodec {
  private SampleCodec() {}

  /** Bytes of one record with {@code features} features. */
  public static int recordBytes(int features) {
    return Integer.BYTES + Float.BYTES * features;
  }

  public static byte[] encode(int label, float[] features) {
    ByteBuffer b = ByteBuffer.allocate(recordBytes(features.length)).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(label);
    for (float f : features) {
      b.putFloat(f);
    }
    return b.array();
  }

  public static Sample decode(byte[] record, int features, int classes) {
    float[] x = new float[features];
    int label = decodeInto(record, features, classes, x, 0);
    return new Sample(label, x);
  }

  /**
   * Decodes {@code record} into {@code x[offset .. offset+features)} and returns its label; used to
   * fill a batch without allocating.
   */
  public static int decodeInto(byte[] record, int features, int classes, float[] x, int offset) {
    if (record == null || record.length != recordBytes(features)) {
      int len = record == null ? -1 : record.length;
      String shape = len >= 4 && (len - 4) % 4 == 0 ? " (" + (len - 4) / 4 + " features)" : "";
      throw new MalformedRecordException(
          "record_size",
          "a record of "
              + features
              + " features has "
              + recordBytes(features)
              + " bytes ([int32 label][float32 × "
              + features
              + "], little-endian), this one has "
              + len
              + shape);
    }
    ByteBuffer b = ByteBuffer.wrap(record).order(ByteOrder.LITTLE_ENDIAN);
    int label = b.getInt();
    if (label < 0 || label >= classes) {
      throw new MalformedRecordException(
          "record_label", "label " + label + " is outside [0, " + classes + ")");
    }
    for (int i = 0; i < features; i++) {
      float f = b.getFloat();
      if (!Float.isFinite(f)) {
        throw new MalformedRecordException(
            "record_feature", "feature " + i + " is " + f + "; features must be finite");
      }
      x[offset + i] = f;
    }
    return label;
  }

  /**
   * One decoded sample.
   *
   * @param label class index
   * @param features feature vector
   */
  public record Sample(int label, float[] features) {}

  /** A dataset record breaks the format; {@code code()} is {@code malformed_record}. */
  public static final class MalformedRecordException extends TrainingException {
    private final String rule;

    public MalformedRecordException(String rule, String message) {
      super(TrainingError.MALFORMED_RECORD, message);
      this.rule = rule;
    }

    /** Which rule the record broke: record_size, record_label or record_feature. */
    public String rule() {
      return rule;
    }
  }
}
