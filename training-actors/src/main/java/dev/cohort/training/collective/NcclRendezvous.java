package dev.cohort.training.collective;

import dev.cohort.persistence.CohortSerializable;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * What a coordinator hands every rank of an NCCL communicator: rank 0 (or the coordinator's node)
 * creates the unique id with {@code ncclGetUniqueId}; every rank passes the same id to {@code
 * ncclCommInitRankConfig}. Sent in an actor message, so it is plain data.
 *
 * @param rank the receiving rank
 * @param size number of ranks
 * @param uniqueId the 128-byte {@code ncclUniqueId}
 * @param device the CUDA device ordinal this rank uses
 */
public record NcclRendezvous(int rank, int size, byte[] uniqueId, int device)
    implements CohortSerializable {

  /** {@code NCCL_UNIQUE_ID_BYTES} in {@code nccl.h}. */
  public static final int UNIQUE_ID_BYTES = 128;

  public NcclRendezvous {
    if (uniqueId.length != UNIQUE_ID_BYTES) {
      throw new IllegalArgumentException(
          "an ncclUniqueId has " + UNIQUE_ID_BYTES + " bytes, not " + uniqueId.length);
    }
    if (rank < 0 || rank >= size) {
      throw new IllegalArgumentException("rank " + rank + " is outside [0, " + size + ")");
    }
    uniqueId = uniqueId.clone();
  }

  @Override
  public byte[] uniqueId() {
    return uniqueId.clone();
  }

  // Records compare arrays by identity; a rendezvous is a value, so compare the id's bytes.
  @Override
  public boolean equals(Object o) {
    return o instanceof NcclRendezvous other
        && rank == other.rank
        && size == other.size
        && device == other.device
        && Arrays.equals(uniqueId, other.uniqueId);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * (31 * rank + size) + device) + Arrays.hashCode(uniqueId);
  }

  @Override
  public String toString() {
    return "NcclRendezvous[rank="
        + rank
        + ", size="
        + size
        + ", device="
        + device
        + ", uniqueId="
        + HexFormat.of().formatHex(uniqueId, 0, 8)
        + "…]";
  }
}
