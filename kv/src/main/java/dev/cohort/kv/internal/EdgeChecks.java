package dev.cohort.kv.internal;

import dev.cohort.kv.KvError;
import dev.cohort.kv.KvException;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.RangeRequest;
import dev.cohort.kv.TxnRequest;
import dev.cohort.persistence.Rejection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The service's checks of a request before anything is asked: values, put options, transactions and
 * ranges. Each throws the {@link KvException} the caller gets; the partition entity checks writes
 * again (a command may come from elsewhere), with the same rules.
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
    Rejection p = TxnRules.putOptionsProblem(o);
    if (p != null) {
      throw KvException.of(p);
    }
  }

  /** Checks a transaction; returns every key it names, in order of first mention. */
  List<String> txn(TxnRequest txn) {
    Set<String> keys = new LinkedHashSet<>();
    Rejection p =
        TxnRules.problem(
            txn,
            settings.maxValueBytes(),
            key -> {
              Rejection keyProblem = Keys.keyProblem(key);
              if (keyProblem == null) {
                keys.add(key);
              }
              return keyProblem;
            },
            put -> null);
    if (p != null) {
      throw KvException.of(p);
    }
    return List.copyOf(keys);
  }

  /**
   * Checks a range request (CP or AP); returns its page size: the request's limit, at most {@code
   * range-max-limit}, which is also the size when the request sets none.
   */
  int rangeLimit(RangeRequest request) {
    if (request == null || (request.prefix() == null) == (request.from() == null)) {
      throw KvError.INVALID_REQUEST.exception("a range needs either a prefix or a from key");
    }
    if (request.limit() < 0) {
      throw KvError.INVALID_REQUEST.exception("limit must not be negative");
    }
    return request.limit() == 0
        ? settings.rangeMaxLimit()
        : Math.min(request.limit(), settings.rangeMaxLimit());
  }
}
