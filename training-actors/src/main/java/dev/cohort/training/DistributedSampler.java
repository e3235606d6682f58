package dev.cohort.training;

import java.util.SplittableRandom;

/**
 * Which samples each rank reads in an epoch, as PyTorch's {@code DistributedSampler} but without
 * padding: every epoch, the indices {@code 0 .. size-1} are shuffled with a generator seeded from
 * {@code (seed, epoch)}, and rank {@code r} of {@code n} takes positions {@code r, r+n, r+2n, ...}.
 * So the ranks' shares are disjoint, together they hold every sample exactly once, shares differ by
 * at most one sample (lower ranks get the extra), and every rank computes every other rank's share
 * without talking to it.
 *
 * <p>PyTorch repeats samples to make shares equal; we do not (the issue asks for no sample twice).
 * The trainer keeps ranks in lock step by running {@code ceil(largest share / batch)} steps and
 * weighting each rank's gradient by its sample count.
 *
 * <p>Immutable and thread-safe.
 */
public record DistributedSampler(int datasetSize, int replicas, int rank, long seed) {

  public DistributedSampler {
    if (replicas < 1 || rank < 0 || rank >= replicas || datasetSize < 0) {
      throw new IllegalArgumentException(
          "need 0 <= rank < replicas and size >= 0, got rank "
              + rank
              + " of "
              + replicas
              + ", size "
              + datasetSize);
    }
  }

  /** This rank's sample indices for {@code epoch}, in the order it reads them. */
  public int[] indices(int epoch) {
    int[] perm = permutation(epoch);
    int[] mine = new int[shareSize(rank)];
    for (int k = 0; k < mine.length; k++) {
      mine[k] = perm[rank + k * replicas];
    }
    return mine;
  }

  /** Number of samples rank {@code r} reads per epoch. */
  public int shareSize(int r) {
    return datasetSize / replicas + (r < datasetSize % replicas ? 1 : 0);
  }

  /** Steps per epoch at {@code batch} samples per rank: enough for the largest share. */
  public int stepsPerEpoch(int batch) {
    return (shareSize(0) + batch - 1) / batch;
  }

  /** How many samples all ranks together process in {@code step} of an epoch. */
  public int globalBatch(int step, int batch) {
    int total = 0;
    for (int r = 0; r < replicas; r++) {
      total += localBatch(r, step, batch);
    }
    return total;
  }

  /**
   * How many samples rank {@code r} processes in {@code step} of an epoch (0 once its share ran
   * out).
   */
  public int localBatch(int r, int step, int batch) {
    return Math.max(0, Math.min(batch, shareSize(r) - step * batch));
  }

  private int[] permutation(int epoch) {
    int[] perm = new int[datasetSize];
    for (int i = 0; i < datasetSize; i++) {
      perm[i] = i;
    }
    // Fisher-Yates with a generator of (seed, epoch): mixing the epoch through SplittableRandom's
    // own seeding keeps epochs' orders unrelated.
    SplittableRandom random =
        new SplittableRandom(
            new SplittableRandom(seed).split().nextLong() ^ (epoch * 0x9E3779B97F4A7C15L));
    for (int i = datasetSize - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    return perm;
  }
}
