package dev.cohort.kv;

import dev.cohort.persistence.CohortSerializable;
import java.nio.charset.StandardCharsets;

/**
 * One condition of a transaction, as etcd's {@code Compare}. A missing key compares as version,
 * createRevision, modRevision and lease 0; a value comparison on a missing key is false.
 *
 * @param key the key compared
 * @param target what of the key is compared
 * @param op the comparison, {@code key.target op operand}
 * @param value the operand for {@link Target#VALUE} (bytes compared lexicographically, unsigned)
 * @param number the operand for the numeric targets
 */
public record Compare(String key, Target target, Op op, byte[] value, long number)
    implements CohortSerializable {

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

  /** Evaluates this condition against the key's current state ({@code null}: missing). */
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
