package dev.cohort.kv;

import dev.cohort.persistence.CohortSerializable;
import java.nio.charset.StandardCharsets;

/** One operation of a transaction branch. */
public sealed interface TxnOp extends CohortSerializable {

  /** The key the operation touches; null for a {@link Txn}, whose ops name their own keys. */
  String key();

  /** Puts {@code value} under {@code key}, as {@link Kv#put}. */
  record Put(String key, byte[] value, PutOptions options) implements TxnOp {
    public Put(String key, String value) {
      this(key, value.getBytes(StandardCharsets.UTF_8), PutOptions.NONE);
    }
  }

  /** Reads one key (a missing key gives an empty response, not an error). */
  record Get(String key) implements TxnOp {}

  /** Deletes one key. */
  record Delete(String key, boolean prevKv) implements TxnOp {
    public Delete(String key) {
      this(key, false);
    }
  }

  /**
   * Deletes every key in {@code [from, to)} ({@code to} {@code ""}: every key from {@code from} on)
   * at the transaction's revision, as etcd's {@code DeleteRange} with a range end inside a
   * transaction; answered by a {@link TxnOpResult.Delete} with the count, and the deleted keys when
   * {@code prevKv}. Only keyspaces of one partition take it (an interval's keys are spread over
   * every partition otherwise). No key of the interval may be put along the same path.
   */
  record DeleteRange(String from, String to, boolean prevKv) implements TxnOp {
    /** The interval's first key. */
    @Override
    public String key() {
      return from;
    }
  }

  /**
   * A transaction nested in a branch, as etcd's {@code request_txn}: part of the enclosing
   * transaction (one revision, all or nothing). Its compares are evaluated against the keys as they
   * were before the outermost transaction ran, as etcd evaluates every compare of a transaction
   * first; its ops run in order with the enclosing branch's, so they see the writes before them. A
   * key may be written once along any path: a nested transaction's branches may write the same key
   * (only one runs), but not a key its enclosing branch writes. Every key of a transaction with a
   * nested one must be in one partition.
   */
  record Txn(TxnRequest txn) implements TxnOp {
    @Override
    public String key() {
      return null;
    }
  }
}
