package dev.cohort.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The record codec, the synthetic generator and the sampler's invariants. */
class DatasetTest {

  @Test
  void recordsAreLittleEndianLabelThenFeatures() {
    byte[] r = SampleCodec.encode(3, new float[] {1.5f, -2f});
    assertEquals(12, r.length);
    ByteBuffer b = ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(3, b.getInt(0));
    assertEquals(1.5f, b.getFloat(4));
    assertEquals(-2f, b.getFloat(8));
    assertEquals(3, r[0], "least significant byte first");
    SampleCodec.Sample s = SampleCodec.decode(r, 2, 4);
    assertEquals(3, s.label());
    assertArrayEquals(new float[] {1.5f, -2f}, s.features());
  }

  @Test
  void malformedRecordsNameTheBrokenRule() {
    var shortRecord =
        assertThrows(
            SampleCodec.MalformedRecordException.class,
            () -> SampleCodec.decode(new byte[3], 2, 4));
    assertEquals("record_size", shortRecord.rule());
    assertEquals("malformed_record", shortRecord.code());
    var wrongWidth =
        assertThrows(
            SampleCodec.MalformedRecordException.class,
            () -> SampleCodec.decode(SampleCodec.encode(1, new float[3]), 2, 4));
    assertTrue(wrongWidth.getMessage().contains("(3 features)"), wrongWidth.getMessage());
    var label =
        assertThrows(
            SampleCodec.MalformedRecordException.class,
            () -> SampleCodec.decode(SampleCodec.encode(4, new float[2]), 2, 4));
    assertEquals("record_label", label.rule());
    var negative =
        assertThrows(
            SampleCodec.MalformedRecordException.class,
            () -> SampleCodec.decode(SampleCodec.encode(-1, new float[2]), 2, 4));
    assertEquals("record_label", negative.rule());
    var nan =
        assertThrows(
            SampleCodec.MalformedRecordException.class,
            () -> SampleCodec.decode(SampleCodec.encode(0, new float[] {0f, Float.NaN}), 2, 4));
    assertEquals("record_feature", nan.rule());
    var inDataset =
        assertThrows(
            SampleCodec.MalformedRecordException.class,
            () ->
                TrainingData.decode(
                    List.of(SampleCodec.encode(0, new float[2]), new byte[5]), 2, 4));
    assertTrue(inDataset.getMessage().startsWith("record 1:"), inDataset.getMessage());
  }

  @Test
  void syntheticDatasetIsSeededAndUsesEveryClass() {
    List<byte[]> a = SyntheticDataset.records(2000, 16, 4, 7);
    List<byte[]> b = SyntheticDataset.records(2000, 16, 4, 7);
    List<byte[]> c = SyntheticDataset.records(2000, 16, 4, 8);
    for (int i = 0; i < a.size(); i++) {
      assertArrayEquals(a.get(i), b.get(i), "record " + i);
    }
    assertFalse(java.util.Arrays.equals(a.get(0), c.get(0)), "another seed, other data");
    TrainingData data = TrainingData.decode(a, 16, 4);
    int[] perClass = new int[4];
    for (int l : data.labels()) {
      perClass[l]++;
    }
    for (int k = 0; k < 4; k++) {
      // A random teacher is not balanced, but no class may be (nearly) empty.
      assertTrue(perClass[k] > 2000 / 4 / 10, "class " + k + " has " + perClass[k] + " samples");
    }
    // A prefix of a larger dataset is the smaller dataset: the teacher does not depend on size.
    assertArrayEquals(SyntheticDataset.records(10, 16, 4, 7).get(9), a.get(9));
  }

  @Test
  void samplerSharesAreDisjointCompleteAndReshuffledPerEpoch() {
    for (int size : new int[] {0, 1, 7, 100, 1001}) {
      for (int n = 1; n <= 5; n++) {
        for (int epoch = 0; epoch < 3; epoch++) {
          BitSet seen = new BitSet(size);
          int total = 0;
          for (int r = 0; r < n; r++) {
            int[] share = new DistributedSampler(size, n, r, 42).indices(epoch);
            assertTrue(Math.abs(share.length - size / n) <= 1, "balanced shares");
            for (int i : share) {
              assertFalse(seen.get(i), "sample " + i + " twice in epoch " + epoch);
              seen.set(i);
            }
            total += share.length;
          }
          assertEquals(size, total, "NoSampleTwiceEverySampleOnce size=" + size + " n=" + n);
          assertEquals(size, seen.cardinality());
        }
      }
    }
    DistributedSampler s = new DistributedSampler(1000, 2, 0, 42);
    assertFalse(java.util.Arrays.equals(s.indices(0), s.indices(1)), "epochs are reshuffled");
    assertArrayEquals(
        s.indices(3), new DistributedSampler(1000, 2, 0, 42).indices(3), "seed + epoch decide");
    assertFalse(
        java.util.Arrays.equals(s.indices(0), new DistributedSampler(1000, 2, 0, 43).indices(0)));
  }

  @Test
  void globalBatchCountsEveryRanksSamplesInTheRaggedLastStep() {
    DistributedSampler s = new DistributedSampler(101, 3, 0, 1); // shares 34, 34, 33
    int batch = 10;
    assertEquals(4, s.stepsPerEpoch(batch));
    Set<Integer> lastStep = new HashSet<>();
    int total = 0;
    for (int step = 0; step < 4; step++) {
      total += s.globalBatch(step, batch);
      lastStep.add(s.localBatch(2, step, batch));
    }
    assertEquals(101, total);
    assertEquals(Set.of(10, 3), lastStep);
  }
}
