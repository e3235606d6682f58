package dev.cohort.persistence;

/**
 * A module's list of serializable classes with their fixed Kryo ids, found through {@link
 * java.util.ServiceLoader} ({@code META-INF/services/dev.cohort.persistence.KryoRegistrations}).
 * All modules' lists together form one registry, which refuses to start on a duplicate id or class.
 *
 * <p>Ids are part of the wire and disk format: never reuse or renumber one. Each module owns a
 * range:
 *
 * <pre>
 *   20 –   99  JDK types (persistence)          1000 – 1999  kv
 *  100 –  199  persistence                      2000 – 2999  stream-log
 *  200 –  299  cluster                          3000 – 3999  saga
 *  300 –  399  sharding                         4000 – 4999  training-actors
 *  400 –  499  gateway                          5000 – 5999  platform
 *                                               6000 – 6999  security
 *  9000 – 9999 tests
 * </pre>
 */
public interface KryoRegistrations {

  /** Adds this module's classes to {@code registry}. */
  void register(Registry registry);

  /**
   * Valid instances of this module's registered types whose constructors reject arbitrary values (a
   * rank must be below the ring size, an optimizer must be sgd or adam, …). The serialization
   * coverage test round-trips these instead of generated ones, and uses them wherever such a type
   * is nested in another.
   */
  default java.util.List<Object> samples() {
    return java.util.List.of();
  }

  /** Receives registrations. */
  interface Registry {
    /**
     * Registers {@code type} under {@code id}. Records get the field-compatible record serializer,
     * enums the ordinal serializer, other types Kryo's default for them.
     */
    void add(int id, Class<?> type);
  }
}
