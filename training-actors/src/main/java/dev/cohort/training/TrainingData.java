package dev.cohort.training;

import java.util.List;

/**
 * A decoded dataset in memory: {@code size} samples of {@code features} float32 values (row major
 * in one array) and their labels. Immutable after construction by convention; shared by the worker
 * threads of one JVM.
 *
 * @param features features per sample
 * @param classes number of classes
 * @param x {@code size × features} values
 * @param labels {@code size} labels
 */
public record TrainingData(int features, int classes, float[] x, int[] labels) {

  /** Decodes every record; the first malformed record fails the whole dataset. */
  public static TrainingData decode(List<byte[]> records, int features, int classes) {
    float[] x = new float[records.size() * features];
    int[] labels = new int[records.size()];
    for (int i = 0; i < records.size(); i++) {
      try {
        labels[i] = SampleCodec.decodeInto(records.get(i), features, classes, x, i * features);
      } catch (SampleCodec.MalformedRecordException e) {
        throw new SampleCodec.MalformedRecordException(
            e.rule(), "record " + i + ": " + e.getMessage());
      }
    }
    return new TrainingData(features, classes, x, labels);
  }

  public int size() {
    return labels.length;
  }

  /** Copies samples {@code indices[from .. from+n)} into batch arrays. */
  public void gather(int[] indices, int from, int n, float[] batchX, int[] batchLabels) {
    for (int k = 0; k < n; k++) {
      int i = indices[from + k];
      System.arraycopy(x, i * features, batchX, k * features, features);
      batchLabels[k] = labels[i];
    }
  }
}
