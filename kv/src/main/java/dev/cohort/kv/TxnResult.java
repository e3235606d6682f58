package dev.cohort.kv;

import dev.cohort.persistence.CohortSerializable;
import java.util.List;

/** The answer to a transaction: which branch ran and its op results in order. */
public record TxnResult(Header header, boolean succeeded, List<TxnOpResult> responses)
    implements CohortSerializable {}
