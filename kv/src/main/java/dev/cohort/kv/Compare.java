package dev.cohort.kv;

import dev.cohort.persistence.CohortSerializable;
import java.nio.charset.StandardCharsets;

/**
 * One condition of a transaction, as etcd's {@code Compare}. A missing key compares as version,
 * createRevision, modRevision and lease 0; a value comparison on a missing key is false.
 *
 * <p>With a {@code rangeEnd} the condition is over every key in {@code [key, rangeEnd)} (an empty
 * {@code rangeEnd}: every key from {@code key} on), as etcd's compare with {@code range_end}: it
 * holds when it holds for each key there; over no key at all it compares as a missing key does.
 * Only keyspaces of one partition take such compares (the keys of an interval are spread over every
 * partition otherwise).
 *
 * @param key the key compared, or the first key of the interval
 * @param target what of the key is compared
 * @param op the comparison, {@code key.target op operand}
 * @param value the operand for {@link Target#VALUE} (bytes compared lexicographically, unsigned)
 * @param number the operand for the numeric targets
 * @param rangeEnd null for one key; else the interval's exclusive end ({@code ""}: no end)
 */
public record Compare(String key, Target target, Op op, byte[] value, long number, String rangeEnd)
    implements CohortSerializable {

  /** A condition on one key. */
  public Compare(String key, Target target, Op op, byte[] value, long number) {
    this(key, target, op, value, number, null);
  }

  /** This condition over every key in {@code [key, end)} ({@code ""}: every key from key on). */
  public Compare overRange(String end) {
    return new Compare(key, target, op, value, number, end);
  }

  /** Whether this condition covers an interval rather than one key. */
  public boolean isRange() {
    return rangeEnd != null;
  }

  /** What a comparison reads. Written by ordinal: add only at the end. */
  public enum Target implements CohortSerializable {
    VALUE,
    VERSION,
    CREATE_REVISION,
    MOD_REVISION,
    LEASE
  }

  /** The comparison operator. Written by ordinal: add only at the end. */
  public enum Op implements CohortSerializable {
    EQUAL("="),
    NOT_EQUAL("!="),
    LESS("<"),
    GREATER(">");

    private final String symbol;

    Op(String symbol) {
      this.symbol = symbol;
    }

    public String symbol() {
      return symbol;
    }

    /** The operator written as {@code = != < >} (also accepts {@code ==}). */
    public static Op parse(String symbol) {
      return switch (symbol) {
        case "=", "==" -> EQUAL;
        case "!=" -> NOT_EQUAL;
        case "<" -> LESS;
        case ">" -> GREATER;
        default ->
            throw KvError.MALFORMED_TXN.exception(
                "compare op must be one of = != < >, not '" + symbol + "'");
      };
    }

    boolean holds(int comparison) {
      return switch (this) {
        case EQUAL -> comparison == 0;
        case NOT_EQUAL -> comparison != 0;
        case LESS -> comparison < 0;
        case GREATER -> comparison > 0;
      };
    }
  }

  public static Compare value(String key, Op op, byte[] value) {
    return new Compare(key, Target.VALUE, op, value, 0);
  }

  public static Compare value(String key, Op op, String value) {
    return value(key, op, value.getBytes(StandardCharsets.UTF_8));
  }

  public static Compare version(String key, Op op, long version) {
    return new Compare(key, Target.VERSION, op, null, version);
  }

  public static Compare createRevision(String key, Op op, long revision) {
    return new Compare(key, Target.CREATE_REVISION, op, null, revision);
  }

  public static Compare modRevision(String key, Op op, long revision) {
    return new Compare(key, Target.MOD_REVISION, op, null, revision);
  }

  public static Compare lease(String key, Op op, long lease) {
    return new Compare(key, Target.LEASE, op, null, lease);
  }

  /**
   * Evaluates this condition against the key's current state ({@code null}: missing). For an
   * interval, call it for each key in it, and with null when it holds none.
   */
  public boolean holds(KeyValue current) {
    if (target == Target.VALUE) {
      return current != null && op.holds(java.util.Arrays.compareUnsigned(current.value(), value));
    }
    long actual =
        current == null
            ? 0
            : switch (target) {
              case VERSION -> current.version();
              case CREATE_REVISION -> current.createRevision();
              case MOD_REVISION -> current.modRevision();
              case LEASE -> current.lease();
              case VALUE -> throw new AssertionError();
            };
    return op.holds(Long.compare(actual, number));
  }
}
