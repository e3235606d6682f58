package dev.cohort.kv;

import dev.cohort.persistence.CohortSerializable;
import java.util.List;

/**
 * A compare-and-swap transaction, as etcd's {@code TxnRequest}: if every compare holds, the success
 * ops run, else the failure ops; atomically, at one new revision when anything was written. Keys of
 * one partition (use a hash tag, {@code "{user42}/a"}, {@code "{user42}/b"}, to keep related keys
 * together) take the fast path: one partition decides and journals it. Keys in several partitions
 * run a two-phase commit with the same outcome, but lock their keys while prepared (other writes to
 * them wait, then fail with {@code key_locked}); see kv/README.md. A key may be written at most
 * once per branch.
 */
public record TxnRequest(List<Compare> compare, List<TxnOp> success, List<TxnOp> failure)
    implements CohortSerializable {

  public TxnRequest {
    compare = compare == null ? List.of() : List.copyOf(compare);
    success = success == null ? List.of() : List.copyOf(success);
    failure = failure == null ? List.of() : List.copyOf(failure);
  }
}
