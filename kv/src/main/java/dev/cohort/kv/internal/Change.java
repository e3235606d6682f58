package dev.cohort.kv.internal;

import dev.cohort.kv.KeyValue;
import dev.cohort.persistence.CohortSerializable;

/**
 * One change of one key in a partition's history: the key after it ({@code kv}, null for a delete)
 * and before it ({@code prev}, null when the key did not exist). Several changes share a revision
 * when one transaction or prefix delete wrote several keys.
 */
public record Change(long revision, long atMillis, String key, KeyValue kv, KeyValue prev)
    implements CohortSerializable {

  public boolean isDelete() {
    return kv == null;
  }
}
