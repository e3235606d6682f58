package dev.cohort.kv.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KeyspaceInfo;
import dev.cohort.persistence.internal.KryoSerializer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Events and snapshots written by version 1 of this module (bytes kept in {@code
 * kv-journal-v1.txt}) still read, with the same content: the journal format is a promise. When a
 * record gains a component, this test must keep passing unchanged.
 */
class KvJournalFormatTest {
  private static final ActorTestKit kit = ActorTestKit.create(ConfigFactory.load());
  private static final Serialization serialization =
      SerializationExtension.get(kit.system().classicSystem());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  /** The objects whose version-1 bytes the fixture holds, in its order. */
  static List<Object> version1Objects() {
    KeyValue a = new KeyValue("k/a", "one".getBytes(StandardCharsets.UTF_8), 3, 5, 2, 0);
    KeyValue b = new KeyValue("{t}/b", new byte[] {0, (byte) 0xff}, 5, 5, 1, 17);
    TreeMap<String, KeyValue> kvs = new TreeMap<>(Map.of(a.key(), a, b.key(), b));
    ArrayList<Change> history = new ArrayList<>(List.of(new Change(5, 1_000, "k/a", a, null)));
    HashMap<Long, Long> revoked = new HashMap<>(Map.of(9L, 1_000L));
    HashMap<Long, KvLessor.Lease> live =
        new HashMap<>(
            Map.of(17L, new KvLessor.Lease(17, 10_000, 99_000, List.of("default:0:64:3"))));
    return List.of(
        new KvPartition.Written(
            5, 1_000, List.of(new KvPartition.PutKv(b), new KvPartition.DeleteKey("k/x")), 0),
        new KvPartition.Written(6, 2_000, List.of(), 9),
        new KvPartition.Dropped(3_000),
        new KvPartition.State(6, 2, 2_000, false, kvs, history, revoked, 42, 0, null, null, null),
        new KeyspaceRegistry.KeyspaceCreated(new KeyspaceInfo("orders", "cp", 8, 4, 1_000, false)),
        new KeyspaceRegistry.KeyspaceDeleted("orders", 2_000),
        new KvLessor.LeaseGranted(17, 10_000, 99_000, false),
        new KvLessor.LeaseKeptAlive(17, 109_000),
        new KvLessor.LeaseAttached(17, "default:0:64:3"),
        new KvLessor.LeaseRevoked(17, 110_000, true),
        new KvLessor.RevocationFinished(17),
        new KvLessor.State(3, live, new HashMap<>(), null));
  }

  private static Map<String, byte[]> fixture() throws IOException {
    Map<String, byte[]> lines = new LinkedHashMap<>();
    try (InputStream in = KvJournalFormatTest.class.getResourceAsStream("/kv-journal-v1.txt")) {
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int i = 0;
      for (String line : text.split("\n")) {
        if (!line.isBlank() && !line.startsWith("#")) {
          lines.put(
              i++ + " " + line.substring(0, line.indexOf(' ')),
              Base64.getDecoder().decode(line.substring(line.indexOf(' ') + 1)));
        }
      }
    }
    return lines;
  }

  @Test
  void version1BytesStillRead() throws IOException {
    List<Object> expected = version1Objects();
    Map<String, byte[]> fixture = fixture();
    assertEquals(expected.size(), fixture.size());
    int i = 0;
    for (Map.Entry<String, byte[]> entry : fixture.entrySet()) {
      Object back =
          serialization.deserialize(entry.getValue(), KryoSerializer.IDENTIFIER, "").get();
      Object want = expected.get(i++);
      assertEquals(want.getClass(), back.getClass(), entry.getKey());
      // equal bytes when written again: same content, byte[] components included
      assertTrue(
          java.util.Arrays.equals(
              serialization.serialize(want).get(), serialization.serialize(back).get()),
          entry.getKey());
    }
  }

  /** Prints the fixture lines; run by hand only when a new format version is started. */
  static void main(String[] args) {
    ActorTestKit printer = ActorTestKit.create(ConfigFactory.load());
    Serialization s = SerializationExtension.get(printer.system().classicSystem());
    for (Object o : version1Objects()) {
      System.out.println(
          o.getClass().getName() + " " + Base64.getEncoder().encodeToString(s.serialize(o).get()));
    }
    printer.shutdownTestKit();
    System.exit(0);
  }
}
