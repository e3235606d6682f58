package dev.cohort.log.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The default partitioner is bit-exact with Kafka's: murmur2 values published in Kafka's own {@code
 * UtilsTest}, and (when kafka-clients is on the test classpath) Kafka's {@code Utils.murmur2}
 * itself on random keys.
 */
class PartitionersTest {

  @Test
  void murmur2MatchesKafkaPublishedValues() {
    Map<String, Integer> known =
        Map.of(
            "21", -973932308,
            "foobar", -790332482,
            "a-little-bit-long-string", -985981536,
            "a-little-bit-longer-string", -1486304829,
            "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971,
            "abc", 479470107);
    known.forEach(
        (key, hash) ->
            assertEquals(
                (int) hash, Partitioners.murmur2(key.getBytes(StandardCharsets.US_ASCII)), key));
  }

  @Test
  void partitionMatchesKafkasClientsOnRandomKeys() throws Exception {
    Class<?> utils;
    try {
      utils = Class.forName("org.apache.kafka.common.utils.Utils");
    } catch (ClassNotFoundException e) {
      org.junit.jupiter.api.Assumptions.abort("kafka-clients is not on the test classpath");
      return;
    }
    var murmur2 = utils.getMethod("murmur2", byte[].class);
    var toPositive = utils.getMethod("toPositive", int.class);
    Random random = new Random(42);
    for (int i = 0; i < 10_000; i++) {
      byte[] key = new byte[random.nextInt(40)];
      random.nextBytes(key);
      int kafka = (int) murmur2.invoke(null, (Object) key);
      assertEquals(kafka, Partitioners.murmur2(key));
      int partitions = 1 + random.nextInt(1024);
      assertEquals(
          (int) toPositive.invoke(null, kafka) % partitions,
          Partitioners.partitionForKey(key, partitions));
    }
  }

  @Test
  void toPositiveClearsTheSignBitUnlikeAbs() {
    assertEquals(0, Partitioners.toPositive(Integer.MIN_VALUE));
    assertEquals(Integer.MAX_VALUE, Partitioners.toPositive(-1));
    assertEquals(5, Partitioners.toPositive(5));
  }

  @Test
  void userKeysOfTheOrdersExampleSpreadAndStayPut() {
    Set<Integer> used = new HashSet<>();
    for (int u = 0; u < 5; u++) {
      byte[] key = ("user-" + u).getBytes(StandardCharsets.UTF_8);
      int p = Partitioners.partitionForKey(key, 4);
      assertEquals(p, Partitioners.partitionForKey(key.clone(), 4));
      used.add(p);
    }
    assertNotEquals(1, used.size());
  }

  @Test
  void stickyPartitionChangesOnlyWhenItsBatchCloses() {
    Partitioners partitioners = new Partitioners();
    int first = partitioners.stickyPartition("t", 8);
    assertEquals(first, partitioners.stickyPartition("t", 8));
    partitioners.onNewBatch("t", (first + 1) % 8, 8);
    assertEquals(first, partitioners.stickyPartition("t", 8));
    partitioners.onNewBatch("t", first, 8);
    assertNotEquals(first, partitioners.stickyPartition("t", 8));
  }
}
