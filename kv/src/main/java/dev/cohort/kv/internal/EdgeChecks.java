package dev.cohort.kv.internal;

import dev.cohort.kv.Compare;
import dev.cohort.kv.KvException;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.RangeRequest;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnRequest;
import dev.cohort.persistence.Rejection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The service's checks of a request before anything is asked: values, put options, transactions
 * and ranges. Each throws the {@link KvException} the caller gets; the partition entity checks
 * writes again (a command may come from elsewhere), with the same rules.
 *
 * <p>Invariants: a request that fails a check has asked no entity and changed nothing; the checks
 * run in a fixed order, so that a request with several problems always gets the same error.
 * Stateless apart from the settings it reads. Thread-safe.
 */
final class EdgeChecks {
  private final KvSettings settings;

  EdgeChecks(KvSettings settings) {
    this.settings = settings;
  }

  void value(byte[] value) {
    Rejection p = Keys.valueProblem(value, settings.maxValueBytes());
    if (p != null) {
      throw KvException.of(p);
    }
  }

  static void putOptions(PutOptions o) {
    if (o.lease() < 0) {
      throw KvException.invalid("invalid_request", "lease must not be negative");
    }
    if (o.ignoreLease() && o.lease() != 0) {
      throw KvException.invalid("invalid_request", "ignoreLease and lease cannot both be set");
    }
  }

  /** Checks a transaction; returns every key it names, in order of first mention. */
  List<String> txn(TxnRequest txn) {
    if (txn == null) {
      throw KvException.invalid("malformed_txn", "transaction is missing");
    }
    Set<String> keys = new LinkedHashSet<>();
    for (Compare c : txn.compare()) {
      if (c == null || c.target() == null || c.op() == null) {
        throw KvException.invalid("malformed_txn", "a compare needs a key, a target and an op");
      }
      if (c.target() == Compare.Target.VALUE && c.value() == null) {
        throw KvException.invalid("malformed_txn", "a value compare needs a value");
      }
      Keys.checkKey(c.key());
      keys.add(c.key());
    }
    for (List<TxnOp> branch : List.of(txn.success(), txn.failure())) {
      Set<String> written = new HashSet<>();
      for (TxnOp op : branch) {
        if (op == null) {
          throw KvException.invalid("malformed_txn", "a transaction op is null");
        }
        Keys.checkKey(op.key());
        keys.add(op.key());
        if (op instanceof TxnOp.Put put) {
          value(put.value());
          putOptions(put.options() == null ? PutOptions.NONE : put.options());
        }
        if (!(op instanceof TxnOp.Get) && !written.add(op.key())) {
          throw KvException.invalid("duplicate_key_in_txn",
              "key '" + op.key() + "' is written twice in one branch");
        }
      }
    }
    return List.copyOf(keys);
  }

  /**
   * Checks a range request (CP or AP); returns its page size: the request's limit, at most
   * {@code range-max-limit}, which is also the size when the request sets none.
   */
  int rangeLimit(RangeRequest request) {
    if (request == null || (request.prefix() == null) == (request.from() == null)) {
      throw KvException.invalid("invalid_request", "a range needs either a prefix or a from key");
    }
    if (request.limit() < 0) {
      throw KvException.invalid("invalid_request", "limit must not be negative");
    }
    return request.limit() == 0 ? settings.rangeMaxLimit()
        : Math.min(request.limit(), settings.rangeMaxLimit());
  }
}
