package dev.cohort.kv.internal;

import dev.cohort.persistence.CohortSerializable;

/** The keys a watch follows: exactly {@code key}, or every key starting with {@code prefix}. */
public record Filter(String key, String prefix) implements CohortSerializable {

  public boolean matches(String candidate) {
    return key != null ? key.equals(candidate) : candidate.startsWith(prefix);
  }
}
