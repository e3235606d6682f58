package dev.cohort.kv.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.persistence.CohortSerializable;
import dev.cohort.persistence.KryoRegistrations;
import dev.cohort.persistence.Rejection;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Every kv class that crosses the wire or reaches the journal is registered and round-trips
 * through Pekko serialization (replies to asks are not covered by serialize-messages, so this is
 * where they are proven). Samples are built by reflection with every component filled in.
 */
class KvSerializationTest {
  private static final ActorTestKit kit = ActorTestKit.create(ConfigFactory.load());
  private static final Serialization serialization =
      SerializationExtension.get(kit.system().classicSystem());
  private static final ActorRef<Object> ref = kit.createTestProbe().getRef();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  private static Map<Integer, Class<?>> registered() {
    Map<Integer, Class<?>> byId = new TreeMap<>();
    new KvRegistrations().register((id, type) -> {
      assertTrue(id >= 1000 && id <= 1999, "kv ids are 1000-1999: " + id);
      assertEquals(null, byId.put(id, type), "id used twice: " + id);
    });
    return byId;
  }

  @Test
  void everySerializableClassOfTheModuleIsRegistered() throws Exception {
    // every module's registrations count: other parts of this module register their own classes
    Set<Class<?>> registered =
        Set.copyOf(dev.cohort.persistence.SerializationRegistry.load().byId().values());
    Path classes = Path.of(KvRegistrations.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> missing = new ArrayList<>();
    try (Stream<Path> files = Files.walk(classes)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
        String name = classes.relativize(file).toString().replace('/', '.').replaceAll("\\.class$", "");
        Class<?> type = Class.forName(name, false, getClass().getClassLoader());
        boolean concrete = !type.isInterface() && !Modifier.isAbstract(type.getModifiers());
        if (concrete && CohortSerializable.class.isAssignableFrom(type)
            && !registered.contains(type)) {
          missing.add(name);
        }
      }
    }
    assertEquals(List.of(), missing, "CohortSerializable classes without a Kryo id");
  }

  @Test
  void everyRegisteredClassRoundTrips() {
    for (Class<?> type : registered().values()) {
      Object sample = sample(type, 0);
      byte[] bytes = serialization.serialize(sample).get();
      var serializer = serialization.findSerializerFor(sample);
      Object back = serialization
          .deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, sample))
          .get();
      assertEquals(type, back.getClass(), type.getName());
      // byte[] components make record equality useless; equal bytes prove equal content
      assertArrayEquals(bytes, serialization.serialize(back).get(), type.getName());
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Object sample(Type type, int depth) {
    Class<?> raw = type instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
    if (raw == String.class) {
      return "s" + depth;
    }
    if (raw == long.class || raw == Long.class) {
      return 7L + depth;
    }
    if (raw == int.class || raw == Integer.class) {
      return 3 + depth;
    }
    if (raw == boolean.class || raw == Boolean.class) {
      return true;
    }
    if (raw == byte[].class) {
      return new byte[] {1, 2, (byte) depth};
    }
    if (raw == ActorRef.class) {
      return ref;
    }
    if (raw == Rejection.class) {
      return Rejection.invalid("code", "message");
    }
    if (raw.isEnum()) {
      return raw.getEnumConstants()[raw.getEnumConstants().length - 1];
    }
    Type arg = type instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : Object.class;
    if (raw == Optional.class) {
      return Optional.of(sample(arg, depth + 1));
    }
    if (raw == List.class) {
      return depth > 3 ? List.of() : List.of(sample(arg, depth + 1));
    }
    if (raw == ArrayList.class) {
      ArrayList list = new ArrayList();
      list.add(sample(arg, depth + 1));
      return list;
    }
    if (raw == TreeMap.class || raw == HashMap.class || raw == LinkedHashMap.class) {
      Type value = ((ParameterizedType) type).getActualTypeArguments()[1];
      Map map = raw == TreeMap.class ? new TreeMap()
          : raw == HashMap.class ? new HashMap() : new LinkedHashMap();
      map.put(sample(arg, depth + 1), sample(value, depth + 1));
      return map;
    }
    if (raw == TreeSet.class) {
      return new TreeSet<>(Set.of(sample(arg, depth + 1)));
    }
    if (raw.isSealed()) {
      return sample(raw.getPermittedSubclasses()[0], depth + 1);
    }
    if (raw.isRecord()) {
      RecordComponent[] components = raw.getRecordComponents();
      Object[] args = new Object[components.length];
      Class<?>[] types = new Class<?>[components.length];
      for (int i = 0; i < components.length; i++) {
        args[i] = sample(components[i].getGenericType(), depth + 1);
        types[i] = components[i].getType();
      }
      try {
        var constructor = raw.getDeclaredConstructor(types);
        constructor.setAccessible(true);
        return constructor.newInstance(args);
      } catch (ReflectiveOperationException e) {
        throw new AssertionError("cannot build a sample " + raw.getName(), e);
      }
    }
    throw new AssertionError("no sample for " + type);
  }
}
