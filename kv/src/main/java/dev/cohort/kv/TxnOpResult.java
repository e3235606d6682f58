package dev.cohort.kv;

import dev.cohort.persistence.CohortSerializable;
import java.util.List;
import java.util.Optional;

/** The result of one {@link TxnOp}, in the order of the executed branch. */
public sealed interface TxnOpResult extends CohortSerializable {

  /** A put, with the previous value when requested. */
  record Put(Optional<KeyValue> prevKv) implements TxnOpResult {}

  /** A get: the key, or empty when it does not exist. */
  record Get(Optional<KeyValue> kv) implements TxnOpResult {}

  /** A delete: 0 or 1, and the deleted key when requested. */
  record Delete(long deleted, List<KeyValue> prevKvs) implements TxnOpResult {}

  /** A nested transaction: which of its branches ran and that branch's results, in order. */
  record Txn(boolean succeeded, List<TxnOpResult> responses) implements TxnOpResult {
    public Txn {
      responses = responses == null ? List.of() : List.copyOf(responses);
    }
  }
}
