package dev.cohort.kv.internal;

import dev.cohort.kv.Compare;
import dev.cohort.kv.KvError;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnRequest;
import dev.cohort.persistence.Rejection;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The rules a transaction and a put's options must meet, written once for both places that check
 * them: the API edge ({@link EdgeChecks}), which throws the answer before asking any entity, and
 * the partition ({@link TxnEvaluator}), which replies with it (a command may come from elsewhere).
 *
 * <p>Invariants: the rules run in a fixed order, so a request with several problems always gets the
 * same answer at both places; a check changes nothing. Stateless.
 */
final class TxnRules {
  private TxnRules() {}

  /** The first problem of {@code options}, or null. */
  static Rejection putOptionsProblem(PutOptions options) {
    if (options.lease() < 0) {
      return KvError.INVALID_REQUEST.rejection("lease must not be negative");
    }
    if (options.ignoreLease() && options.lease() != 0) {
      return KvError.INVALID_REQUEST.rejection("ignoreLease and lease cannot both be set");
    }
    return null;
  }

  /**
   * The first problem of {@code txn}, or null. {@code keyProblem} sees every key in order of
   * mention (compares, then each branch, a nested transaction's where it stands) and may collect
   * them; {@code putProblem} adds what only the caller can know about a put (a lease revoked in the
   * partition). A key may be written once along any path through the transaction: a nested
   * transaction's two branches may write the same key, as only one of them runs.
   */
  static Rejection problem(
      TxnRequest txn,
      int maxValueBytes,
      Function<String, Rejection> keyProblem,
      Function<TxnOp.Put, Rejection> putProblem) {
    return txnProblem(txn, new Checks(maxValueBytes, keyProblem, putProblem), new Writes());
  }

  /** Why a transaction over a key interval is refused in a keyspace of several partitions. */
  static final String INTERVAL_ONE_PARTITION =
      "compares over a key interval and deletes of one need a keyspace of one partition";

  /** Why a transaction with a nested one is refused when its keys span partitions. */
  static final String NESTED_ONE_PARTITION =
      "a transaction with a nested one needs all its keys in one partition (use a hash tag)";

  /** Whether a branch of {@code txn} holds a nested transaction. */
  static boolean hasNested(TxnRequest txn) {
    for (List<TxnOp> branch : List.of(txn.success(), txn.failure())) {
      for (TxnOp op : branch) {
        if (op instanceof TxnOp.Txn) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Whether {@code txn} or a transaction nested in it compares over a key interval or deletes one.
   */
  static boolean needsOnePartition(TxnRequest txn) {
    for (Compare c : txn.compare()) {
      if (c != null && c.isRange()) {
        return true;
      }
    }
    for (List<TxnOp> branch : List.of(txn.success(), txn.failure())) {
      for (TxnOp op : branch) {
        if (op instanceof TxnOp.DeleteRange
            || (op instanceof TxnOp.Txn nested
                && nested.txn() != null
                && needsOnePartition(nested.txn()))) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * What a path through a transaction writes so far: every key put or deleted, the keys put, and
   * the intervals deleted ({@code [from, to)}, {@code to} {@code ""}: no end). Mutable; one per
   * check.
   */
  private static final class Writes {
    final Set<String> keys = new HashSet<>();
    final Set<String> puts = new HashSet<>();
    final List<TxnOp.DeleteRange> intervals = new ArrayList<>();

    Writes copy() {
      Writes w = new Writes();
      w.addAll(this);
      return w;
    }

    void addAll(Writes other) {
      keys.addAll(other.keys);
      puts.addAll(other.puts);
      intervals.addAll(other.intervals);
    }

    static boolean inside(String key, TxnOp.DeleteRange interval) {
      return key.compareTo(interval.from()) >= 0
          && (interval.to().isEmpty() || key.compareTo(interval.to()) < 0);
    }

    /** A put or delete of {@code key}; a problem when the path wrote it already. */
    Rejection write(String key, boolean put) {
      boolean again = !keys.add(key);
      for (TxnOp.DeleteRange interval : intervals) {
        again |= put && inside(key, interval);
      }
      if (again) {
        return KvError.DUPLICATE_KEY_IN_TXN.rejection(
            "key '" + key + "' is written twice in one branch");
      }
      if (put) {
        puts.add(key);
      }
      return null;
    }

    /** A delete of an interval; a problem when the path puts a key in it. */
    Rejection delete(TxnOp.DeleteRange interval) {
      for (String key : puts) {
        if (inside(key, interval)) {
          return KvError.DUPLICATE_KEY_IN_TXN.rejection(
              "key '" + key + "' is put and deleted (in an interval) in one branch");
        }
      }
      intervals.add(interval);
      return null;
    }
  }

  /** What the caller checks besides the rules. */
  private record Checks(
      int maxValueBytes,
      Function<String, Rejection> keyProblem,
      Function<TxnOp.Put, Rejection> putProblem) {}

  /** {@code written}: what the path wrote so far; this txn's writes are added. */
  private static Rejection txnProblem(TxnRequest txn, Checks checks, Writes written) {
    if (txn == null || txn.compare() == null || txn.success() == null || txn.failure() == null) {
      return KvError.MALFORMED_TXN.rejection("transaction is missing its compare or op lists");
    }
    for (Compare c : txn.compare()) {
      Rejection p = compareProblem(c);
      if (p == null) {
        p = checks.keyProblem().apply(c.key());
      }
      if (p == null && c.isRange() && !c.rangeEnd().isEmpty()) {
        p = Keys.keyProblem(c.rangeEnd());
      }
      if (p != null) {
        return p;
      }
    }
    Writes then = written.copy();
    Rejection p = branchProblem(txn.success(), checks, then);
    if (p != null) {
      return p;
    }
    Writes orElse = written.copy();
    p = branchProblem(txn.failure(), checks, orElse);
    if (p != null) {
      return p;
    }
    written.addAll(then);
    written.addAll(orElse);
    return null;
  }

  private static Rejection compareProblem(Compare c) {
    if (c == null || c.target() == null || c.op() == null) {
      return KvError.MALFORMED_TXN.rejection("a compare needs a key, a target and an op");
    }
    if (c.target() == Compare.Target.VALUE && c.value() == null) {
      return KvError.MALFORMED_TXN.rejection("a value compare needs a value");
    }
    return null;
  }

  private static Rejection branchProblem(List<TxnOp> branch, Checks checks, Writes written) {
    for (TxnOp op : branch) {
      if (op == null) {
        return KvError.MALFORMED_TXN.rejection("a transaction op is null");
      }
      Rejection p =
          switch (op) {
            case TxnOp.Txn nested -> txnProblem(nested.txn(), checks, written);
            case TxnOp.Get get -> checks.keyProblem().apply(get.key());
            case TxnOp.Put put -> {
              Rejection q = checks.keyProblem().apply(put.key());
              if (q == null) {
                q = putProblem(put, checks.maxValueBytes(), checks.putProblem());
              }
              yield q == null ? written.write(put.key(), true) : q;
            }
            case TxnOp.Delete delete -> {
              Rejection q = checks.keyProblem().apply(delete.key());
              yield q == null ? written.write(delete.key(), false) : q;
            }
            case TxnOp.DeleteRange range -> {
              Rejection q = checks.keyProblem().apply(range.from());
              if (q == null && range.to() == null) {
                q = KvError.MALFORMED_TXN.rejection("a delete range needs an end (\"\" for none)");
              }
              if (q == null && !range.to().isEmpty()) {
                q = Keys.keyProblem(range.to());
              }
              yield q == null ? written.delete(range) : q;
            }
          };
      if (p != null) {
        return p;
      }
    }
    return null;
  }

  private static Rejection putProblem(
      TxnOp.Put put, int maxValueBytes, Function<TxnOp.Put, Rejection> callerCheck) {
    Rejection p = Keys.valueProblem(put.value(), maxValueBytes);
    if (p == null) {
      p = putOptionsProblem(put.options() == null ? PutOptions.NONE : put.options());
    }
    return p == null ? callerCheck.apply(put) : p;
  }
}
