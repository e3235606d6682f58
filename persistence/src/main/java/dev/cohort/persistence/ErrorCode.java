package dev.cohort.persistence;

/**
 * A stable error code and the kind that decides its HTTP status. Each module declares its codes
 * once, as an enum implementing this ({@code KvError}, {@code LogError}, …), so that a code is
 * never retyped as a string and a check names the constant, not its spelling.
 */
public interface ErrorCode {
  /** The snake_case code clients match on: the same over HTTP and in the embedded API. */
  String code();

  /** The class of error: the HTTP status it maps to. */
  ErrorKind kind();

  /** Whether {@code failure} carries this code. */
  default boolean matches(CohortException failure) {
    return failure.code().equals(code());
  }

  /** Whether {@code rejection} carries this code. */
  default boolean matches(Rejection rejection) {
    return rejection.code().equals(code());
  }

  /**
   * The snake_case spelling of an enum constant's name ({@code KEY_LOCKED} → {@code key_locked}).
   */
  static String snakeCase(Enum<?> constant) {
    return constant.name().toLowerCase(java.util.Locale.ROOT);
  }
}
