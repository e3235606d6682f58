package dev.cohort.kv.ap;

import dev.cohort.kv.KvException;
import java.util.Locale;

/**
 * How many replicas of an AP keyspace a read or write must reach before it answers, as in
 * Cassandra's tunable consistency. Mapped onto Pekko Distributed Data: {@code ONE} is
 * {@code WriteLocal}/{@code ReadLocal} (this node's replica only), {@code QUORUM} is {@code
 * WriteMajority}/{@code ReadMajority} (a majority of the cluster's nodes, this one included) and
 * {@code ALL} is {@code WriteAll}/{@code ReadAll}. A write at {@code QUORUM} read at {@code QUORUM}
 * always overlaps, so the read sees the write.
 *
 * <p>Written on the wire by name in the HTTP API ({@code ?consistency=one|quorum|all}); in Java it
 * never travels between nodes.
 */
public enum Consistency {
  ONE,
  QUORUM,
  ALL;

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
          throw KvException.invalid(
              "invalid_consistency",
              "consistency must be one, quorum or all (got '" + text + "')");
    };
  }
}
