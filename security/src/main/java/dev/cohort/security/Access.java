package dev.cohort.security;

import dev.cohort.persistence.CohortSerializable;
import java.util.Locale;

/**
 * What a grant allows on its resources. The levels are ordered: {@code ADMIN} covers {@code WRITE},
 * which covers {@code READ}. Read looks at data (get, range, watch, consume, describe), write
 * changes data (put, delete, produce, commit offsets, start a saga, submit a job), admin changes
 * the resource itself (create or delete a keyspace or topic, alter configs, manage users and
 * roles). Written by ordinal: add levels only at the end.
 */
public enum Access implements CohortSerializable {
  READ,
  WRITE,
  ADMIN;

  /** Whether a grant of this level allows a request that needs {@code needed}. */
  public boolean covers(Access needed) {
    return ordinal() >= needed.ordinal();
  }

  /** The lower-case name used in JSON, config and the CLI. */
  public String text() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** {@code read}, {@code write} or {@code admin}, in any case. */
  public static Access parse(String text) {
    if (text != null) {
      for (Access access : values()) {
        if (access.text().equalsIgnoreCase(text)) {
          return access;
        }
      }
    }
    throw SecurityError.INVALID_PERMISSION.exception(
        "access must be read, write or admin (got '" + text + "')");
  }
}
