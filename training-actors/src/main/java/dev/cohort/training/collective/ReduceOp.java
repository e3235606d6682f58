package dev.cohort.training.collective;

import dev.cohort.persistence.CohortSerializable;

/**
 * Element-wise reductions. Written by ordinal in messages: add values only at the end.
 *
 * <p>{@link #AVG} is the sum divided by the number of ranks, computed once per element by the rank
 * that owns the element's chunk, so that every rank receives the same bits.
 */
public enum ReduceOp implements CohortSerializable {
  SUM,
  AVG,
  MAX,
  MIN
}
