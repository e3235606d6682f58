package dev.cohort.log.internal;

import static dev.cohort.log.internal.LogTestKit.assertCode;
import static dev.cohort.log.internal.LogTestKit.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.FetchResult;
import dev.cohort.log.Producer;
import dev.cohort.log.ProducerRecord;
import dev.cohort.log.ProducerSettings;
import dev.cohort.log.RecordMetadata;
import dev.cohort.log.TopicPartition;
import dev.cohort.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The producer: partitioning, batching, acks, retries and idempotence under injected faults. */
class ProducerTest {
  private static final ActorTestKit kit = LogTestKit.cluster("");
  private static final StreamLogImpl log = StreamLogImpl.start(kit.system());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  /** Every record of a partition, from offset 0. */
  private static List<ConsumerRecord> readAll(String topic, int partition) {
    List<ConsumerRecord> out = new ArrayList<>();
    long offset = 0;
    while (true) {
      FetchResult r =
          get(
              log.fetch(
                  topic,
                  partition,
                  offset,
                  log.consumerSettings().with(Map.of("fetch.max.wait.ms", "0"))));
      out.addAll(r.records());
      if (r.nextOffset() >= r.highWatermark()) {
        return out;
      }
      offset = r.nextOffset();
    }
  }

  private static List<CompletionStage<RecordMetadata>> sendKeyed(
      Producer producer, String topic, int records, int keys) {
    List<CompletionStage<RecordMetadata>> results = new ArrayList<>();
    for (int i = 0; i < records; i++) {
      results.add(producer.send(ProducerRecord.of(topic, "key" + (i % keys), "value-" + i)));
    }
    return results;
  }

  /**
   * Invariants ExactlyOnce and PerKeyOrder: every sent value is in the log once, each key's values
   * appear in send order, and each acknowledged offset holds the acknowledged record.
   */
  private static void assertExactlyOnceInOrder(
      String topic,
      int partitions,
      int records,
      int keys,
      List<CompletionStage<RecordMetadata>> acks) {
    Map<String, Integer> lastIndexPerKey = new HashMap<>();
    Set<String> seen = new HashSet<>();
    Map<TopicPartition, List<ConsumerRecord>> logs = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      List<ConsumerRecord> all = readAll(topic, p);
      logs.put(new TopicPartition(topic, p), all);
      long expectedOffset = 0;
      for (ConsumerRecord r : all) {
        assertEquals(expectedOffset++, r.offset(), "contiguous offsets");
        assertTrue(seen.add(r.valueString()), "duplicate " + r.valueString());
        int index = Integer.parseInt(r.valueString().substring("value-".length()));
        Integer previous = lastIndexPerKey.put(r.keyString(), index);
        assertTrue(previous == null || previous < index, "order of " + r.keyString());
        assertEquals(
            Partitioners.partitionForKey(r.key(), partitions), p, "key on its Kafka partition");
      }
    }
    assertEquals(records, seen.size(), "every record written");
    for (int i = 0; i < records; i++) {
      RecordMetadata m = get(acks.get(i));
      ConsumerRecord at = logs.get(new TopicPartition(topic, m.partition())).get((int) m.offset());
      assertEquals("value-" + i, at.valueString(), "acknowledged offset holds the record");
      assertEquals("key" + (i % keys), at.keyString());
    }
  }

  @Test
  void keyedRecordsKeepPerKeyOrderAndLandOnKafkasPartitions() {
    get(log.createTopic("keyed", 4, Map.of("compression.type", "lz4")));
    try (Producer producer = log.producer()) {
      var acks = sendKeyed(producer, "keyed", 1000, 17);
      get(producer.flush());
      assertExactlyOnceInOrder("keyed", 4, 1000, 17, acks);
    }
  }

  /**
   * A transport that loses requests, loses answers, duplicates requests and delays (reorders) them,
   * with a fixed seed.
   */
  private static ProduceTransport faulty(ProduceTransport real, long seed, AtomicInteger faults) {
    Random random = new Random(seed);
    return (tp, command, timeout) -> {
      int roll;
      int delayMs;
      synchronized (random) {
        roll = random.nextInt(100);
        delayMs = random.nextInt(15);
      }
      if (roll < 10) {
        faults.incrementAndGet();
        return CompletableFuture.failedFuture(new TimeoutException("request lost"));
      }
      if (roll < 30) {
        faults.incrementAndGet();
        return real.produce(tp, command, timeout)
            .thenCompose(
                reply -> CompletableFuture.failedFuture(new TimeoutException("answer lost")));
      }
      if (roll < 45) {
        faults.incrementAndGet();
        CompletionStage<PartitionEntity.Reply> first = real.produce(tp, command, timeout);
        real.produce(tp, command, timeout);
        return first;
      }
      if (roll < 65) {
        faults.incrementAndGet();
        return CompletableFuture.supplyAsync(
                () -> null, CompletableFuture.delayedExecutor(delayMs, TimeUnit.MILLISECONDS))
            .thenCompose(v -> real.produce(tp, command, timeout));
      }
      return real.produce(tp, command, timeout);
    };
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(longs = {11, 12, 13})
  void idempotentProducerWritesEachRecordOnceInOrderDespiteLostDuplicatedAndReorderedRequests(
      long seed) {
    String topic = "faulty-" + seed;
    get(log.createTopic(topic, 3, Map.of()));
    ProducerSettings settings =
        log.producerSettings()
            .with(
                Map.of(
                    "linger.ms", "1",
                    "batch.size", "400",
                    "retry.backoff.ms", "2",
                    "retry.backoff.max.ms", "20",
                    "max.in.flight.requests.per.connection", "5"));
    AtomicInteger faults = new AtomicInteger();
    Producer producer = log.producer(settings, faulty(log.shardingTransport(), seed, faults));
    var acks = sendKeyed(producer, topic, 1500, 23);
    get(producer.flush());
    producer.close();
    assertTrue(faults.get() >= 10, "faults were injected: " + faults.get());
    assertExactlyOnceInOrder(topic, 3, 1500, 23, acks);
  }

  /** The same faults without idempotence do duplicate records: the test above has teeth. */
  @Test
  void withoutIdempotenceTheSameFaultsDuplicateRecords() {
    get(log.createTopic("faulty-plain", 1, Map.of()));
    ProducerSettings settings =
        log.producerSettings()
            .with(
                Map.of(
                    "enable.idempotence", "false",
                    "linger.ms", "1",
                    "batch.size", "400",
                    "retry.backoff.ms", "2"));
    Producer producer =
        log.producer(settings, faulty(log.shardingTransport(), 11, new AtomicInteger()));
    var acks = sendKeyed(producer, "faulty-plain", 300, 1);
    acks.forEach(LogTestKit::get);
    producer.close();
    assertTrue(
        readAll("faulty-plain", 0).size() > 300, "lost answers were retried and written twice");
  }

  @Test
  void acksZeroAnswersAtOnceAndStillWrites() {
    get(log.createTopic("fire", 1, Map.of()));
    ProducerSettings fire =
        log.producerSettings().with(Map.of("acks", "0", "enable.idempotence", "false"));
    try (Producer producer = log.producer(fire)) {
      RecordMetadata m = get(producer.send(ProducerRecord.of("fire", "k", "v")));
      assertEquals(-1, m.offset());
    }
    Await.await(Duration.ofSeconds(10), () -> get(log.fetch("fire", 0, 0)).records().size() == 1);
  }

  @Test
  void badRecordsFailAloneWithTypedErrors() {
    get(log.createTopic("strict", 2, Map.of("max.message.bytes", "1000")));
    try (Producer producer = log.producer()) {
      var tooLarge =
          producer.send(new ProducerRecord("strict", null, null, new byte[5000], Map.of(), null));
      var badPartition =
          producer.send(new ProducerRecord("strict", 9, null, new byte[1], Map.of(), null));
      var unknown = producer.send(ProducerRecord.of("no-such-topic", "k", "v"));
      var fine = producer.send(ProducerRecord.of("strict", "k", "v"));
      assertCode("record_too_large", tooLarge);
      assertCode("unknown_topic_or_partition", badPartition);
      assertCode("unknown_topic_or_partition", unknown);
      assertEquals(0, get(fine).offset());
    }
  }

  @Test
  void unreachablePartitionFailsWithDeliveryTimeout() {
    get(log.createTopic("unreachable", 1, Map.of()));
    ProducerSettings quick =
        log.producerSettings().with(Map.of("delivery.timeout.ms", "300", "retry.backoff.ms", "20"));
    ProduceTransport down =
        (tp, command, timeout) -> CompletableFuture.failedFuture(new TimeoutException("down"));
    Producer producer = log.producer(quick, down);
    assertCode("delivery_timeout", producer.send(ProducerRecord.of("unreachable", "k", "v")));
    producer.close();
    assertTrue(
        get(log.fetch(
                "unreachable", 0, 0, log.consumerSettings().with(Map.of("fetch.max.wait.ms", "0"))))
            .records()
            .isEmpty());
  }

  @Test
  void keylessRecordsStickToOnePartitionPerBatch() {
    get(log.createTopic("sticky", 4, Map.of()));
    try (Producer producer = log.producer(log.producerSettings().with(Map.of("linger.ms", "50")))) {
      List<CompletionStage<RecordMetadata>> acks = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        acks.add(
            producer.send(
                new ProducerRecord("sticky", null, null, new byte[] {(byte) i}, Map.of(), null)));
      }
      Set<Integer> partitions = new HashSet<>();
      acks.forEach(a -> partitions.add(get(a).partition()));
      assertEquals(1, partitions.size(), "one linger window, one sticky partition");
    }
  }

  /** A partition that forgot an idle producer makes it start a new epoch; nothing is lost. */
  @Test
  void aProducerWhoseStateExpiredStartsANewEpoch() {
    ActorTestKit quick =
        LogTestKit.cluster(
            "cohort.log.partition.producer-id-expiration = 1ms\n"
                + "cohort.log.partition.retention-check-interval = 50ms");
    try {
      StreamLogImpl quickLog = StreamLogImpl.start(quick.system());
      get(quickLog.createTopic("forgetful", 1, Map.of()));
      try (Producer producer = quickLog.producer()) {
        assertEquals(0, get(producer.send(ProducerRecord.of("forgetful", "k", "v0"))).offset());
        // Wait until the partition has journaled that it dropped the producer's state.
        var journal =
            org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit.create(quick.system());
        String pid =
            PartitionEntity.ENTITY_TYPE_KEY.name() + "|" + PartitionEntity.entityId("forgetful", 0);
        Await.await(
            Duration.ofSeconds(10),
            () ->
                journal.persistedInStorage(pid).stream()
                    .anyMatch(e -> e instanceof PartitionEntity.ProducersExpired));
        long offset = 0;
        for (int i = 1; i <= 5; i++) {
          offset = get(producer.send(ProducerRecord.of("forgetful", "k", "v" + i))).offset();
        }
        assertEquals(5, offset);
      }
      List<ConsumerRecord> all = get(quickLog.fetch("forgetful", 0, 0)).records();
      assertEquals(6, all.size());
      for (int k = 0; k < all.size(); k++) {
        assertEquals("v" + k, all.get(k).valueString(), "each record once, in order");
      }
    } finally {
      quick.shutdownTestKit();
    }
  }
}
