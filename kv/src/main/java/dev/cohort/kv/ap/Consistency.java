package dev.cohort.kv.ap;

import dev.cohort.kv.KvError;
import java.util.Locale;

/**
 * How many of a key's replicas a read or write must reach before it answers, as in Cassandra's
 * tunable consistency: {@code ONE} one replica (any: the coordinator need not be one), {@code
 * QUORUM} a majority of the replication factor, {@code ALL} every replica. A write at {@code
 * QUORUM} read at {@code QUORUM} always overlaps in a replica, so the read sees the write.
 *
 * <p>Written on the wire by name in the HTTP API ({@code ?consistency=one|quorum|all}); in Java it
 * never travels between nodes.
 */
public enum Consistency {
  ONE,
  QUORUM,
  ALL;

  /** Replicas of {@code replicationFactor} that must answer. */
  public int required(int replicationFactor) {
    return switch (this) {
      case ONE -> 1;
      case QUORUM -> replicationFactor / 2 + 1;
      case ALL -> replicationFactor;
    };
  }

  /** The lower-case name used by the HTTP API and the configuration. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses {@code one}, {@code quorum} or {@code all} (any case); null or empty gives {@code
   * fallback}. Anything else fails with {@code invalid_consistency} (HTTP 400).
   */
  public static Consistency parse(String text, Consistency fallback) {
    if (text == null || text.isEmpty()) {
      return fallback;
    }
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "one" -> ONE;
      case "quorum" -> QUORUM;
      case "all" -> ALL;
      default ->
          throw KvError.INVALID_CONSISTENCY.exception(
              "consistency must be one, quorum or all (got '" + text + "')");
    };
  }
}
