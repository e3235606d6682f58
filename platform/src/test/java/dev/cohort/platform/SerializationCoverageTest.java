package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.persistence.CohortSerializable;
import dev.cohort.persistence.KryoRegistrations;
import dev.cohort.persistence.SerializationRegistry;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.TreeMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Finds every {@link CohortSerializable} type of every module by scanning the classpath and
 * round-trips an instance of each through Pekko serialization, replies to {@code ask} included
 * (which {@code serialize-messages} does not cover). A type without a Kryo registration fails
 * here, as does a protocol interface (Command, Event, Reply, State) without the marker.
 */
class SerializationCoverageTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create(
          ConfigFactory.parseString("pekko.actor.provider = local")
              .withFallback(ConfigFactory.load()));
  private static final Serialization serialization =
      SerializationExtension.get(testKit.system().classicSystem());
  private static final TestProbe<Object> probe = testKit.createTestProbe();
  private static final Set<String> PROTOCOL_NAMES =
      Set.of("Command", "Event", "Reply", "Response", "State");

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void everyMarkedTypeIsRegisteredAndRoundTrips() throws Exception {
    List<Class<?>> concrete = new ArrayList<>();
    for (Class<?> type : cohortClasses()) {
      if (CohortSerializable.class.isAssignableFrom(type)
          && !type.isInterface()
          && !Modifier.isAbstract(type.getModifiers())
          && !type.isAnonymousClass()) {
        concrete.add(type);
      }
    }
    assertTrue(concrete.size() >= 5, "found only " + concrete);
    List<String> failures = new ArrayList<>();
    for (Class<?> type : concrete) {
      if (!SerializationRegistry.load().isRegistered(type)) {
        failures.add(type.getName() + " has no Kryo registration");
        continue;
      }
      try {
        Object value = instanceOf(type, type, 0);
        byte[] bytes = serialization.serialize(value).get();
        var serializer = serialization.findSerializerFor(value);
        Object back =
            serialization
                .deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, value))
                .get();
        assertEquals(type, back.getClass());
        assertArrayEquals(bytes, serialization.serialize(back).get(), type.getName());
      } catch (Exception | AssertionError e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        failures.add(type.getName() + ": " + cause);
      }
    }
    assertEquals(List.of(), failures);
  }

  /**
   * Every message of an actor protocol (a sealed Command, Event, Reply, Response or State) is
   * either serializable or declared local-only with {@link NoSerializationVerificationNeeded}.
   */
  @Test
  void everyProtocolMessageIsSerializableOrDeclaredLocal() throws Exception {
    List<String> unmarked = new ArrayList<>();
    for (Class<?> type : cohortClasses()) {
      if (type.isInterface()
          && PROTOCOL_NAMES.contains(type.getSimpleName())
          && !CohortSerializable.class.isAssignableFrom(type)) {
        collectUnmarked(type, unmarked);
      }
    }
    assertEquals(List.of(), unmarked);
  }

  private static void collectUnmarked(Class<?> type, List<String> unmarked) {
    if (CohortSerializable.class.isAssignableFrom(type)
        || NoSerializationVerificationNeeded.class.isAssignableFrom(type)) {
      return;
    }
    if (!type.isSealed()) {
      unmarked.add(type.getName());
      return;
    }
    for (Class<?> permitted : type.getPermittedSubclasses()) {
      collectUnmarked(permitted, unmarked);
    }
  }

  private static List<Class<?>> cohortClasses() throws IOException {
    Set<String> names = new TreeSet<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path path = Path.of(entry);
      if (Files.isDirectory(path) && !path.toString().contains("test-classes")) {
        try (Stream<Path> walk = Files.walk(path)) {
          walk.map(p -> path.relativize(p).toString())
              .filter(n -> n.startsWith("dev/cohort/") && n.endsWith(".class"))
              .forEach(names::add);
        }
      } else if (path.getFileName().toString().startsWith("cohort-") && entry.endsWith(".jar")) {
        try (JarFile jar = new JarFile(path.toFile())) {
          jar.stream()
              .map(e -> e.getName())
              .filter(n -> n.startsWith("dev/cohort/") && n.endsWith(".class"))
              .forEach(names::add);
        }
      }
    }
    List<Class<?>> classes = new ArrayList<>();
    for (String name : names) {
      String className = name.substring(0, name.length() - ".class".length()).replace('/', '.');
      try {
        classes.add(Class.forName(className, false, SerializationCoverageTest.class.getClassLoader()));
      } catch (ClassNotFoundException | LinkageError e) {
        throw new IllegalStateException("cannot load " + className, e);
      }
    }
    return classes;
  }

  /** Valid instances supplied by the modules for types whose constructors validate. */
  private static final Map<Class<?>, Object> SAMPLES = samples();

  private static Map<Class<?>, Object> samples() {
    Map<Class<?>, Object> samples = new HashMap<>();
    for (KryoRegistrations registrations : ServiceLoader.load(KryoRegistrations.class)) {
      registrations.samples().forEach(sample -> samples.put(sample.getClass(), sample));
    }
    return samples;
  }

  /** An arbitrary instance of {@code type}; {@code generic} carries type arguments. */
  private static Object instanceOf(Class<?> type, Type generic, int depth) throws Exception {
    if (SAMPLES.containsKey(type)) return SAMPLES.get(type);
    if (type == String.class) return "text-" + depth;
    if (type == int.class || type == Integer.class) return 1;
    if (type == long.class || type == Long.class) return 1L;
    if (type == short.class || type == Short.class) return (short) 3;
    if (type == byte.class || type == Byte.class) return (byte) 2;
    if (type == double.class || type == Double.class) return 1.5;
    if (type == float.class || type == Float.class) return 2.5f;
    if (type == boolean.class || type == Boolean.class) return true;
    if (type == char.class || type == Character.class) return 'c';
    if (type == byte[].class) return new byte[] {1, 2, 3};
    if (type == int[].class) return new int[] {1, 2};
    if (type == long[].class) return new long[] {1, 2};
    if (type == float[].class) return new float[] {1.5f, 2.5f};
    if (type == double[].class) return new double[] {1.5, 2.5};
    if (type == UUID.class) return new UUID(1, 2);
    if (type == Instant.class) return Instant.ofEpochSecond(1_700_000_000, 5);
    if (type == Duration.class) return Duration.ofMillis(1500);
    if (type == BigInteger.class) return BigInteger.TEN;
    if (type == BigDecimal.class) return new BigDecimal("1.25");
    if (type == org.apache.pekko.actor.typed.ActorRef.class) return probe.getRef();
    if (type.isEnum()) return type.getEnumConstants()[0];
    if (type == List.class || type == ArrayList.class) {
      List<Object> list = new ArrayList<>();
      if (depth <= 2) {
        list.add(argument(generic, 0, depth));
        list.add(argument(generic, 0, depth));
      }
      return type == List.class ? List.copyOf(list) : list;
    }
    if (type == Set.class || type == HashSet.class || type == TreeSet.class) {
      Set<Object> set = type == TreeSet.class ? new TreeSet<>() : new HashSet<>();
      if (depth <= 2) {
        set.add(argument(generic, 0, depth));
      }
      return type == Set.class ? Set.copyOf(set) : set;
    }
    if (type == Map.class || type == HashMap.class || type == TreeMap.class || type == LinkedHashMap.class) {
      Map<Object, Object> map =
          type == TreeMap.class ? new TreeMap<>() : type == LinkedHashMap.class ? new LinkedHashMap<>() : new HashMap<>();
      if (depth <= 2) {
        map.put(argument(generic, 0, depth), argument(generic, 1, depth));
      }
      return type == Map.class ? Map.copyOf(map) : map;
    }
    if (type == Optional.class) {
      return depth > 2 ? Optional.empty() : Optional.of(argument(generic, 0, depth));
    }
    if (type.isRecord()) {
      RecordComponent[] components = type.getRecordComponents();
      Object[] values = new Object[components.length];
      Class<?>[] types = new Class<?>[components.length];
      for (int i = 0; i < components.length; i++) {
        types[i] = components[i].getType();
        values[i] = instanceOf(types[i], components[i].getGenericType(), depth + 1);
      }
      Constructor<?> constructor = type.getDeclaredConstructor(types);
      constructor.setAccessible(true);
      return constructor.newInstance(values);
    }
    if (type.isSealed()) {
      for (Class<?> permitted : type.getPermittedSubclasses()) {
        if (!permitted.isInterface()) {
          return instanceOf(permitted, permitted, depth);
        }
      }
      return instanceOf(type.getPermittedSubclasses()[0], type.getPermittedSubclasses()[0], depth);
    }
    if (type == Object.class) return "object";
    throw new IllegalArgumentException("no arbitrary instance for " + generic.getTypeName());
  }

  private static Object argument(Type generic, int index, int depth) throws Exception {
    if (generic instanceof ParameterizedType parameterized) {
      Type argument = parameterized.getActualTypeArguments()[index];
      Class<?> raw =
          argument instanceof ParameterizedType p ? (Class<?>) p.getRawType()
              : argument instanceof Class<?> c ? c : Object.class;
      return instanceOf(raw, argument, depth + 1);
    }
    return "element";
  }
}
