package dev.cohort.persistence;

import java.util.Locale;

/**
 * A stable error code and the kind that decides its HTTP status. Each module declares its codes
 * once, as an enum implementing this ({@code KvError}, {@code LogError}, …), so that a code is
 * never retyped as a string and a check names the constant, not its spelling.
 */
public interface ErrorCode {
  /** The enum constant's name: every implementation is an enum, which supplies it. */
  String name();

  /**
   * The snake_case code clients match on, the same over HTTP and in the embedded API: the
   * constant's name in lower case ({@code KEY_LOCKED} → {@code key_locked}). An enum overrides it
   * only to keep a code that two constants share on the wire.
   */
  default String code() {
    return name().toLowerCase(Locale.ROOT);
  }

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

  /** The reply an entity refuses a command with. */
  default Rejection rejection(String message) {
    return Rejection.of(this, message);
  }
}
