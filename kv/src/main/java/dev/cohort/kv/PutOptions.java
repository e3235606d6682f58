package dev.cohort.kv;

import dev.cohort.persistence.CohortSerializable;

/**
 * Options of a put, as etcd's {@code PutRequest}.
 *
 * @param lease attach the key to this lease (0: no lease, and the key leaves any lease it had)
 * @param prevKv return the key's previous value
 * @param ignoreLease keep the key's current lease ({@code lease} must then be 0)
 */
public record PutOptions(long lease, boolean prevKv, boolean ignoreLease)
    implements CohortSerializable {
  public static final PutOptions NONE = new PutOptions(0, false, false);

  public static PutOptions withLease(long lease) {
    return new PutOptions(lease, false, false);
  }

  public PutOptions withPrevKv() {
    return new PutOptions(lease, true, ignoreLease);
  }
}
