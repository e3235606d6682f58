package dev.cohort.saga.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.persistence.CohortSerializable;
import dev.cohort.persistence.Rejection;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Every saga class that crosses the wire or reaches the journal (commands, replies, events,
 * states, API records) is registered in 3000–3999 and round-trips through Pekko serialization;
 * replies to asks are not covered by serialize-messages, so this is where they are proven.
 * Samples are built by reflection with every component filled in.
 */
class SagaSerializationTest {
  private static final ActorTestKit kit = ActorTestKit.create(
      ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
  private static final Serialization serialization =
      SerializationExtension.get(kit.system().classicSystem());
  private static final ActorRef<Object> ref = kit.createTestProbe().getRef();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  private static Map<Integer, Class<?>> registered() {
    Map<Integer, Class<?>> byId = new TreeMap<>();
    new SagaRegistrations().register((id, type) -> {
      assertTrue(id >= 3000 && id <= 3999, "saga ids are 3000-3999: " + id);
      assertEquals(null, byId.put(id, type), "id used twice: " + id);
    });
    return byId;
  }

  @Test
  void everySerializableClassOfTheModuleIsRegistered() throws Exception {
    Set<Class<?>> registered = Set.copyOf(registered().values());
    Path classes = Path.of(
        SagaRegistrations.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> missing = new ArrayList<>();
    try (Stream<Path> files = Files.walk(classes)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
        String name = classes.relativize(file).toString().replace('/', '.')
            .replaceAll("\\.class$", "");
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
  void everyRegisteredClassRoundTrips() throws Exception {
    for (Class<?> type : registered().values()) {
      Object sample = sample(type, type, 0);
      byte[] bytes = serialization.serialize(sample).get();
      var serializer = serialization.findSerializerFor(sample);
      Object back = serialization
          .deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, sample))
          .get();
      assertEquals(type, back.getClass(), type.getName());
      assertEquals(sample, back, type.getName());
      assertArrayEquals(bytes, serialization.serialize(back).get(), type.getName());
    }
  }

  @Test
  void aRunningInstanceStateRoundTrips() throws Exception {
    var definition = dev.cohort.saga.SagaDefinition.fromJson("orders", """
        {"steps":[
          {"name":"create_order",
           "action":{"kv":{"op":"put","keyspace":"orders","key":"${sagaId}","value":"created"}},
           "compensation":{"kv":{"op":"put","keyspace":"orders","key":"${sagaId}","value":"x"}}},
          {"name":"pay","action":{"http":{"method":"POST","url":"http://127.0.0.1:9/pay",
           "body":{"amount":"${input.amount}"}}}}
        ]}""");
    InstanceState state = new InstanceState.NotStarted("i-1")
        .apply(new SagaInstanceEntity.Started("i-1", definition, "{\"amount\":5}", Instant.now()))
        .apply(new SagaInstanceEntity.AttemptStarted(0, dev.cohort.saga.StepPhase.ACTION, 1,
            Instant.now()))
        .apply(new SagaInstanceEntity.AttemptSucceeded(0, dev.cohort.saga.StepPhase.ACTION, 1,
            "{\"revision\":3}", Instant.now()));
    assertInstanceOf(InstanceState.Active.class, state);
    byte[] bytes = serialization.serialize(state).get();
    var serializer = serialization.findSerializerFor(state);
    Object back = serialization
        .deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, state))
        .get();
    assertEquals(state, back);
  }

  /** An arbitrary instance of {@code type}; {@code generic} carries type arguments. */
  private static Object sample(Class<?> type, Type generic, int depth) throws Exception {
    if (type == String.class) return "text-" + depth;
    if (type == int.class || type == Integer.class) return 7;
    if (type == long.class || type == Long.class) return 1L << 40;
    if (type == double.class || type == Double.class) return 1.5;
    if (type == boolean.class || type == Boolean.class) return true;
    if (type == Instant.class) return Instant.ofEpochSecond(1_700_000_000, 5);
    if (type == ActorRef.class) return ref;
    if (type == Rejection.class) return Rejection.invalid("code", "message");
    if (type.isEnum()) return type.getEnumConstants()[type.getEnumConstants().length - 1];
    if (type == List.class) return depth > 3 ? List.of() : List.of(argument(generic, 0, depth));
    if (type == Set.class) return depth > 3 ? Set.of() : Set.of(argument(generic, 0, depth));
    if (type == Map.class) {
      return depth > 3 ? Map.of() : Map.of(argument(generic, 0, depth), argument(generic, 1, depth));
    }
    if (type == Optional.class) {
      return depth > 3 ? Optional.empty() : Optional.of(argument(generic, 0, depth));
    }
    if (type.isRecord()) {
      RecordComponent[] components = type.getRecordComponents();
      Object[] values = new Object[components.length];
      Class<?>[] types = new Class<?>[components.length];
      for (int i = 0; i < components.length; i++) {
        types[i] = components[i].getType();
        values[i] = sample(types[i], components[i].getGenericType(), depth + 1);
      }
      Constructor<?> constructor = type.getDeclaredConstructor(types);
      constructor.setAccessible(true);
      return constructor.newInstance(values);
    }
    if (type.isSealed()) {
      Class<?> first = type.getPermittedSubclasses()[0];
      return sample(first, first, depth);
    }
    throw new IllegalArgumentException("no sample for " + generic.getTypeName());
  }

  private static Object argument(Type generic, int index, int depth) throws Exception {
    Type argument = ((ParameterizedType) generic).getActualTypeArguments()[index];
    Class<?> raw = argument instanceof ParameterizedType p ? (Class<?>) p.getRawType()
        : (Class<?>) argument;
    return sample(raw, argument, depth + 1);
  }
}
