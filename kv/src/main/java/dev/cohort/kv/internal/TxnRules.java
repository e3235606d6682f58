package dev.cohort.kv.internal;

import dev.cohort.kv.Compare;
import dev.cohort.kv.KvError;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnRequest;
import dev.cohort.persistence.Rejection;
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
   * mention (compares, then each branch) and may collect them; {@code putProblem} adds what only
   * the caller can know about a put (a lease revoked in the partition).
   */
  static Rejection problem(
      TxnRequest txn,
      int maxValueBytes,
      Function<String, Rejection> keyProblem,
      Function<TxnOp.Put, Rejection> putProblem) {
    if (txn == null || txn.compare() == null || txn.success() == null || txn.failure() == null) {
      return KvError.MALFORMED_TXN.rejection("transaction is missing its compare or op lists");
    }
    for (Compare c : txn.compare()) {
      Rejection p = compareProblem(c);
      if (p == null) {
        p = keyProblem.apply(c.key());
      }
      if (p != null) {
        return p;
      }
    }
    for (List<TxnOp> branch : List.of(txn.success(), txn.failure())) {
      Rejection p = branchProblem(branch, maxValueBytes, keyProblem, putProblem);
      if (p != null) {
        return p;
      }
    }
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

  private static Rejection branchProblem(
      List<TxnOp> branch,
      int maxValueBytes,
      Function<String, Rejection> keyProblem,
      Function<TxnOp.Put, Rejection> putProblem) {
    Set<String> written = new HashSet<>();
    for (TxnOp op : branch) {
      if (op == null) {
        return KvError.MALFORMED_TXN.rejection("a transaction op is null");
      }
      Rejection p = keyProblem.apply(op.key());
      if (p == null && op instanceof TxnOp.Put put) {
        p = putProblem(put, maxValueBytes, putProblem);
      }
      if (p != null) {
        return p;
      }
      if (!(op instanceof TxnOp.Get) && !written.add(op.key())) {
        return KvError.DUPLICATE_KEY_IN_TXN.rejection(
            "key '" + op.key() + "' is written twice in one branch");
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
