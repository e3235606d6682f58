package dev.cohort.persistence;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The one registry of Kryo ids: every module's {@link KryoRegistrations} merged, checked for
 * duplicate ids and classes. Loaded once per class loader; immutable.
 */
public final class SerializationRegistry {
  private static volatile SerializationRegistry loaded;

  private final SortedMap<Integer, Class<?>> byId;
  private final Map<Class<?>, Integer> byClass;

  private SerializationRegistry(SortedMap<Integer, Class<?>> byId, Map<Class<?>, Integer> byClass) {
    this.byId = Collections.unmodifiableSortedMap(byId);
    this.byClass = Collections.unmodifiableMap(byClass);
  }

  /** The registry of every module on the classpath; fails on a duplicate id or class. */
  public static SerializationRegistry load() {
    SerializationRegistry current = loaded;
    if (current == null) {
      synchronized (SerializationRegistry.class) {
        current = loaded;
        if (current == null) {
          current = collect();
          loaded = current;
        }
      }
    }
    return current;
  }

  private static SerializationRegistry collect() {
    SortedMap<Integer, Class<?>> byId = new TreeMap<>();
    Map<Class<?>, Integer> byClass = new HashMap<>();
    KryoRegistrations.Registry sink =
        (id, type) -> {
          Class<?> previous = byId.putIfAbsent(id, type);
          if (previous != null) {
            throw new IllegalStateException(
                "Kryo id "
                    + id
                    + " is registered twice: "
                    + previous.getName()
                    + " and "
                    + type.getName());
          }
          Integer previousId = byClass.putIfAbsent(type, id);
          if (previousId != null) {
            throw new IllegalStateException(
                type.getName() + " is registered twice: ids " + previousId + " and " + id);
          }
        };
    for (KryoRegistrations registrations : ServiceLoader.load(KryoRegistrations.class)) {
      registrations.register(sink);
    }
    return new SerializationRegistry(byId, byClass);
  }

  /** Every registration, ordered by id. */
  public SortedMap<Integer, Class<?>> byId() {
    return byId;
  }

  public boolean isRegistered(Class<?> type) {
    return byClass.containsKey(type);
  }
}
