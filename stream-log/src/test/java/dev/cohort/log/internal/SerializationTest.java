package dev.cohort.log.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.log.TopicConfig;
import dev.cohort.persistence.CohortSerializable;
import dev.cohort.persistence.ErrorKind;
import dev.cohort.persistence.Rejection;
import dev.cohort.persistence.SerializationRegistry;
import dev.cohort.persistence.internal.KryoSerializer;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Every stream-log type that crosses the wire or reaches the journal is a registered {@link
 * CohortSerializable} with an id in 2000–2999, and a sample of each (every command, reply, event,
 * state and snapshot record) round-trips through Pekko serialization. Also reads an event written
 * by version 1 of the format from a fixture.
 */
class SerializationTest {
  private static final ActorTestKit kit = ActorTestKit.create(LogTestKit.config("pekko.actor.provider = local"));
  private static final Serialization serialization =
      SerializationExtension.get(kit.system().classicSystem());
  private static final TestProbe<Object> probe = kit.createTestProbe();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  private static List<Class<?>> moduleClasses() throws IOException, URISyntaxException {
    Path root = Path.of(TopicConfig.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<Class<?>> classes = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root.resolve("dev/cohort/log"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
        String name = root.relativize(file).toString().replace('/', '.').replaceAll("\\.class$", "");
        try {
          classes.add(Class.forName(name, false, SerializationTest.class.getClassLoader()));
        } catch (ClassNotFoundException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return classes;
  }

  @Test
  void everySerializableTypeIsRegisteredInTheModulesRange() throws Exception {
    SerializationRegistry registry = SerializationRegistry.load();
    List<String> missing = new ArrayList<>();
    for (Class<?> type : moduleClasses()) {
      boolean concrete = type.isRecord() || type.isEnum();
      if (concrete && CohortSerializable.class.isAssignableFrom(type) && !registry.isRegistered(type)) {
        missing.add(type.getName());
      }
    }
    assertEquals(List.of(), missing);
    registry.byId().forEach(
        (id, type) -> {
          if (type.getName().startsWith("dev.cohort.log")) {
            assertTrue(id >= 2000 && id <= 2999, type + " has id " + id);
          }
        });
  }

  @Test
  void everyRegisteredRecordRoundTrips() {
    int checked = 0;
    for (var entry : SerializationRegistry.load().byId().entrySet()) {
      Class<?> type = entry.getValue();
      if (!type.getName().startsWith("dev.cohort.log")) {
        continue;
      }
      Object sample = sample(type, type);
      byte[] bytes = serialization.serialize(sample).get();
      assertEquals(
          KryoSerializer.IDENTIFIER, serialization.findSerializerFor(sample).identifier(), type.getName());
      Object back = serialization.deserialize(bytes, KryoSerializer.IDENTIFIER, "").get();
      assertEquals(type, back.getClass());
      assertArrayEquals(bytes, serialization.serialize(back).get(), type.getName());
      checked++;
    }
    assertTrue(checked > 60, "checked " + checked);
  }

  /** A sample value of {@code type}: every field set, nested records built recursively. */
  private static Object sample(Class<?> type, Type generic) {
    if (type.isEnum()) {
      return type.getEnumConstants()[type.getEnumConstants().length - 1];
    }
    if (type == String.class) {
      return "s";
    }
    if (type == int.class || type == Integer.class) {
      return 3;
    }
    if (type == long.class || type == Long.class) {
      return 5L;
    }
    if (type == double.class) {
      return 0.5;
    }
    if (type == boolean.class) {
      return true;
    }
    if (type == byte[].class) {
      return new byte[] {1, 2, 3};
    }
    if (type == ActorRef.class) {
      return probe.getRef();
    }
    if (type == Rejection.class) {
      return new Rejection(ErrorKind.CONFLICT, "code", "message");
    }
    if (type == TopicConfig.class) {
      return kitDefaults();
    }
    if (type == Optional.class) {
      return Optional.empty();
    }
    if (type == List.class || type == Set.class || type == Map.class) {
      Type element =
          generic instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : Object.class;
      Object one = element instanceof Class<?> c && c != Object.class ? sample(c, c) : null;
      if (type == List.class) {
        return one == null ? List.of() : List.of(one);
      }
      if (type == Set.class) {
        return one == null ? Set.of() : Set.of(one);
      }
      Type value = ((ParameterizedType) generic).getActualTypeArguments()[1];
      Object v = value instanceof Class<?> c ? sample(c, c) : null;
      return one == null || v == null ? Map.of() : Map.of(one, v);
    }
    if (type.isRecord()) {
      RecordComponent[] components = type.getRecordComponents();
      Object[] args = new Object[components.length];
      Class<?>[] types = new Class<?>[components.length];
      for (int i = 0; i < components.length; i++) {
        types[i] = components[i].getType();
        args[i] = sample(types[i], components[i].getGenericType());
      }
      try {
        Constructor<?> c = type.getDeclaredConstructor(types);
        c.setAccessible(true);
        return c.newInstance(args);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot build " + type, e);
      }
    }
    if (!Modifier.isAbstract(type.getModifiers())) {
      throw new IllegalStateException("no sample for " + type);
    }
    return null;
  }

  private static TopicConfig kitDefaults() {
    return LogSettings.create(kit.system().settings().config()).topicDefaults();
  }

  /**
   * Format version 1: a {@code BatchAppended} event serialized when the format was introduced.
   * Changing the event's shape incompatibly fails here.
   */
  @Test
  void eventsWrittenByVersionOneStillRead() throws IOException {
    byte[] bytes;
    try (InputStream in = getClass().getResourceAsStream("/fixtures/batch-appended-v1.bin")) {
      bytes = in.readAllBytes();
    }
    var event =
        (PartitionEntity.BatchAppended)
            serialization.deserialize(bytes, KryoSerializer.IDENTIFIER, "").get();
    assertEquals(7, event.batch().baseOffset());
    assertEquals(2, event.batch().recordCount());
    assertEquals(42L, event.producerId());
    assertEquals(0L, event.appendedAt(), "a field added after version 1 reads as its default");
    var records = RecordBatches.decode("orders", 0, event.batch(), 0, 10);
    assertEquals("user-1", records.get(0).keyString());
    assertEquals("{\"order_id\":\"ORD-0001\"}", records.get(1).valueString());
  }

  /**
   * A partition snapshot as the entity saved them when issue 17 split the partition (the {@code
   * Snapshot} record was then unchanged since the format was introduced): it must keep reading and
   * restore the configured stage with its log and its producers' idempotence state.
   */
  @Test
  void partitionSnapshotsWrittenByVersionOneStillRestore() throws IOException {
    byte[] bytes;
    try (InputStream in = getClass().getResourceAsStream("/fixtures/partition-snapshot-v1.bin")) {
      bytes = in.readAllBytes();
    }
    var snapshot =
        (PartitionEntity.Snapshot)
            serialization.deserialize(bytes, KryoSerializer.IDENTIFIER, "").get();
    var state =
        assertInstanceOf(ConfiguredPartition.class, PartitionEntity.State.fromSnapshot(snapshot));
    assertEquals("tid-1", state.topicId());
    assertEquals(3, state.log().logStartOffset());
    assertEquals(6, state.log().logEndOffset());
    assertEquals(2, state.log().batchCount());
    assertEquals(4, state.log().cleanedUpTo());
    assertEquals(9, state.logVersion);
    var entry = state.producers().entry(42L);
    assertEquals(1, entry.epoch());
    var tp = new dev.cohort.log.TopicPartition("orders", 0);
    var retried = ProducerStateManager.check(tp, entry, 42, 1, 0, 2);
    assertEquals(
        4, assertInstanceOf(ProducerStateManager.Duplicate.class, retried).batch().baseOffset());
    var empty = PartitionEntity.State.fromSnapshot(new UnconfiguredPartition().toSnapshot());
    assertInstanceOf(UnconfiguredPartition.class, empty);
  }

  /**
   * How the partition snapshot fixture was made; kept to document its content, never run by the
   * build.
   */
  static byte[] partitionSnapshotFixture() {
    StoredBatch first = TestBatches.stored(3, 1_700_000_000_000L, "user-1", "a");
    StoredBatch second = TestBatches.stored(4, 1_700_000_000_001L, "user-2", "b", "user-3", null);
    var entry =
        new PartitionEntity.ProducerEntry(
            1, List.of(new PartitionEntity.ProducerBatch(0, 1, 4, -1)), 1_700_000_000_002L);
    return serialization
        .serialize(
            new PartitionEntity.Snapshot(
                "tid-1", kitDefaults(), 3, 6, List.of(first, second), Map.of(42L, entry), 4,
                Long.MAX_VALUE, 9))
        .get();
  }

  /**
   * How the version-1 fixture was made (then without {@code appendedAt}); kept to document its
   * content, never run by the build.
   */
  static byte[] versionOneFixture() {
    RecordBatches.Builder builder = new RecordBatches.Builder();
    builder.add("user-1".getBytes(), "{\"order_id\":\"ORD-0000\"}".getBytes(), Map.of(), 1_700_000_000_000L);
    builder.add("user-1".getBytes(), "{\"order_id\":\"ORD-0001\"}".getBytes(), Map.of("h", new byte[] {1}), 1_700_000_000_001L);
    RecordBatches.Encoded e = builder.build(TopicConfig.CompressionType.SNAPPY);
    StoredBatch batch =
        new StoredBatch(7, 8, 2, e.baseTimestamp(), e.maxTimestamp(), -1, e.codec(),
            e.uncompressedBytes(), e.payload());
    return serialization.serialize(new PartitionEntity.BatchAppended(batch, 42L, 0, 0, 0)).get();
  }
}
