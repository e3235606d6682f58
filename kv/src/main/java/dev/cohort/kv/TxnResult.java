package dev.cohort.kv;

import dev.cohort.persistence.CohortSerializable;
import java.util.List;

/**
 * The answer to a transaction: which branch ran and its op results in the request's order.
 *
 * @param header the position in the partition of the transaction's keys; for a transaction that
 *     spanned partitions, that of the lowest-numbered partition it touched
 * @param succeeded whether every compare held (on every partition), so the success ops ran
 * @param responses one result per op of the branch that ran, in request order
 * @param headers one header per partition the transaction touched, ascending by partition (just
 *     {@code header} for a single-partition transaction)
 */
public record TxnResult(
    Header header, boolean succeeded, List<TxnOpResult> responses, List<Header> headers)
    implements CohortSerializable {

  public TxnResult {
    if (headers == null || headers.isEmpty()) {
      headers = header == null ? List.of() : List.of(header);
    } else {
      headers = List.copyOf(headers);
    }
  }

  /** A single-partition result. */
  public TxnResult(Header header, boolean succeeded, List<TxnOpResult> responses) {
    this(header, succeeded, responses, null);
  }
}
