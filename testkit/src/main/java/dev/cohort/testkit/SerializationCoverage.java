package dev.cohort.testkit;

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
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.Serializers;

/**
 * The serialization-coverage scaffold every module's tests share: find the {@link
 * CohortSerializable} classes under a package on the classpath, check that each has a Kryo
 * registration, and round-trip an instance of each through Pekko serialization (replies to asks
 * included, which {@code serialize-messages} does not cover). Instances are built by reflection
 * with every component set; types whose constructors validate come from their module's {@link
 * KryoRegistrations#samples()}.
 *
 * <p>A round trip passes when the class survives and re-serializing gives the same bytes (byte
 * array components make record equality useless; equal bytes prove equal content).
 */
public final class SerializationCoverage {
  private static final Set<String> PROTOCOL_NAMES =
      Set.of("Command", "Event", "Reply", "Response", "State");

  private final Serialization serialization;
  private final ActorRef<?> ref;
  private final Map<Class<?>, Object> samples = new HashMap<>();

  /**
   * @param serialization the system's Pekko serialization
   * @param ref an actor ref to put where a message carries one (a test probe's)
   */
  public SerializationCoverage(Serialization serialization, ActorRef<?> ref) {
    this.serialization = serialization;
    this.ref = ref;
    for (KryoRegistrations registrations : ServiceLoader.load(KryoRegistrations.class)) {
      registrations.samples().forEach(sample -> samples.put(sample.getClass(), sample));
    }
  }

  /** Every main (not test) class on the classpath whose name starts with {@code packagePrefix}. */
  public static List<Class<?>> classesUnder(String packagePrefix) throws IOException {
    String prefix = packagePrefix.replace('.', '/') + "/";
    Set<String> names = new TreeSet<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path path = Path.of(entry);
      if (Files.isDirectory(path) && !path.toString().contains("test-classes")) {
        try (Stream<Path> walk = Files.walk(path)) {
          walk.map(p -> path.relativize(p).toString())
              .filter(n -> n.startsWith(prefix) && n.endsWith(".class"))
              .forEach(names::add);
        }
      } else if (path.getFileName().toString().startsWith("cohort-") && entry.endsWith(".jar")) {
        try (JarFile jar = new JarFile(path.toFile())) {
          jar.stream()
              .map(e -> e.getName())
              .filter(n -> n.startsWith(prefix) && n.endsWith(".class"))
              .forEach(names::add);
        }
      }
    }
    List<Class<?>> classes = new ArrayList<>();
    for (String name : names) {
      String className = name.substring(0, name.length() - ".class".length()).replace('/', '.');
      try {
        classes.add(Class.forName(className, false, SerializationCoverage.class.getClassLoader()));
      } catch (ClassNotFoundException | LinkageError e) {
        throw new IllegalStateException("cannot load " + className, e);
      }
    }
    return classes;
  }

  /** The concrete {@link CohortSerializable} classes among {@code classes}. */
  public static List<Class<?>> serializable(List<Class<?>> classes) {
    return classes.stream()
        .filter(
            type ->
                CohortSerializable.class.isAssignableFrom(type)
                    && !type.isInterface()
                    && !Modifier.isAbstract(type.getModifiers())
                    && !type.isAnonymousClass())
        .toList();
  }

  /**
   * One line per problem with a module's Kryo ids: an id outside {@code [first, last]} (the
   * module's range in {@link KryoRegistrations}' table) or an id used twice. Empty when fine.
   */
  public static List<String> idProblems(KryoRegistrations registrations, int first, int last) {
    Map<Integer, Class<?>> byId = new HashMap<>();
    List<String> problems = new ArrayList<>();
    registrations.register(
        (id, type) -> {
          if (id < first || id > last) {
            problems.add(type.getName() + " has id " + id + ", outside " + first + "-" + last);
          }
          Class<?> earlier = byId.put(id, type);
          if (earlier != null) {
            problems.add("id " + id + " used twice: " + earlier.getName() + ", " + type.getName());
          }
        });
    return problems;
  }

  /**
   * {@link #failures} for every serializable class under {@code packagePrefix}; finding fewer than
   * {@code atLeast} classes is a failure too, so that a broken class scan cannot pass as "no
   * failures".
   */
  public List<String> failuresUnder(String packagePrefix, int atLeast) throws IOException {
    List<Class<?>> classes = serializable(classesUnder(packagePrefix));
    if (classes.size() < atLeast) {
      return List.of(
          "found only "
              + classes.size()
              + " classes under "
              + packagePrefix
              + ", expected "
              + atLeast);
    }
    return failures(classes);
  }

  /**
   * One line per problem: a class without a Kryo registration, or one that does not round-trip.
   * Empty when every class is covered.
   */
  public List<String> failures(List<Class<?>> serializableClasses) {
    SerializationRegistry registry = SerializationRegistry.load();
    List<String> failures = new ArrayList<>();
    for (Class<?> type : serializableClasses) {
      if (!registry.isRegistered(type)) {
        failures.add(type.getName() + " has no Kryo registration");
        continue;
      }
      try {
        Object value = instanceOf(type, type, 0);
        byte[] bytes = serialization.serialize(value).get();
        var serializer = serialization.findSerializerFor(value);
        Object back =
            serialization
                .deserialize(
                    bytes, serializer.identifier(), Serializers.manifestFor(serializer, value))
                .get();
        if (back.getClass() != type) {
          failures.add(type.getName() + " came back as " + back.getClass().getName());
        } else if (!Arrays.equals(bytes, serialization.serialize(back).get())) {
          failures.add(type.getName() + " serializes differently after a round trip");
        }
      } catch (Exception | AssertionError e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        failures.add(type.getName() + ": " + cause);
      }
    }
    return failures;
  }

  /**
   * The messages of actor protocols (a sealed Command, Event, Reply, Response or State) among
   * {@code classes} that are neither serializable nor declared local-only with {@link
   * NoSerializationVerificationNeeded}.
   */
  public static List<String> unmarkedProtocolMessages(List<Class<?>> classes) {
    List<String> unmarked = new ArrayList<>();
    for (Class<?> type : classes) {
      if (type.isInterface()
          && PROTOCOL_NAMES.contains(type.getSimpleName())
          && !CohortSerializable.class.isAssignableFrom(type)) {
        collectUnmarked(type, unmarked);
      }
    }
    return unmarked;
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

  /**
   * An instance of {@code type} with every component set; {@code generic} carries type arguments.
   */
  public Object instanceOf(Class<?> type, Type generic, int depth) throws Exception {
    if (samples.containsKey(type)) {
      return samples.get(type);
    }
    Object plain = plainValue(type, depth);
    if (plain != null) {
      return plain;
    }
    if (type == ActorRef.class) {
      return ref;
    }
    if (type.isEnum()) {
      return type.getEnumConstants()[0];
    }
    Object collection = collection(type, generic, depth);
    if (collection != null) {
      return collection;
    }
    if (type.isRecord()) {
      return record(type, depth);
    }
    if (type.isSealed()) {
      for (Class<?> permitted : type.getPermittedSubclasses()) {
        if (!permitted.isInterface()) {
          return instanceOf(permitted, permitted, depth);
        }
      }
      Class<?> first = type.getPermittedSubclasses()[0];
      return instanceOf(first, first, depth);
    }
    if (type == Object.class) {
      return "object";
    }
    throw new IllegalArgumentException("no arbitrary instance for " + generic.getTypeName());
  }

  private static Object plainValue(Class<?> type, int depth) {
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
    return null;
  }

  private Object collection(Class<?> type, Type generic, int depth) throws Exception {
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
    if (type == Map.class
        || type == HashMap.class
        || type == TreeMap.class
        || type == LinkedHashMap.class) {
      Map<Object, Object> map =
          type == TreeMap.class
              ? new TreeMap<>()
              : type == LinkedHashMap.class ? new LinkedHashMap<>() : new HashMap<>();
      if (depth <= 2) {
        map.put(argument(generic, 0, depth), argument(generic, 1, depth));
      }
      return type == Map.class ? Map.copyOf(map) : map;
    }
    if (type == Optional.class) {
      return depth > 2 ? Optional.empty() : Optional.of(argument(generic, 0, depth));
    }
    return null;
  }

  private Object record(Class<?> type, int depth) throws Exception {
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

  private Object argument(Type generic, int index, int depth) throws Exception {
    if (generic instanceof ParameterizedType parameterized) {
      Type argument = parameterized.getActualTypeArguments()[index];
      Class<?> raw =
          argument instanceof ParameterizedType p
              ? (Class<?>) p.getRawType()
              : argument instanceof Class<?> c ? c : Object.class;
      return instanceOf(raw, argument, depth + 1);
    }
    return "element";
  }
}
