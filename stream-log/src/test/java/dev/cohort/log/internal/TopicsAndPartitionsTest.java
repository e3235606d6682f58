package dev.cohort.log.internal;

import static dev.cohort.log.internal.LogTestKit.assertCode;
import static dev.cohort.log.internal.LogTestKit.get;
import static dev.cohort.testkit.Await.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.log.ConsumerRecord;
import dev.cohort.log.ConsumerSettings;
import dev.cohort.log.FetchResult;
import dev.cohort.log.ProducerRecord;
import dev.cohort.log.RecordMetadata;
import dev.cohort.log.TopicConfig;
import dev.cohort.log.TopicDescription;
import dev.cohort.persistence.ErrorKind;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Topics, produce and fetch through the embedded API on a one-node cluster. */
class TopicsAndPartitionsTest {
  private static final ActorTestKit kit = LogTestKit.cluster("");
  private static final StreamLogImpl log = StreamLogImpl.start(kit.system());
  private static final PersistenceTestKit journal = PersistenceTestKit.create(kit.system());

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  private static List<ProducerRecord> records(
      String topic, Integer partition, int n, String prefix) {
    List<ProducerRecord> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(
          new ProducerRecord(
              topic,
              partition,
              ("k" + i).getBytes(StandardCharsets.UTF_8),
              (prefix + i).getBytes(StandardCharsets.UTF_8),
              Map.of(),
              null));
    }
    return out;
  }

  private static long events(String topic, int partition) {
    return journal
        .persistedInStorage(
            PartitionEntity.ENTITY_TYPE_KEY.name()
                + "|"
                + PartitionEntity.entityId(topic, partition))
        .size();
  }

  @Test
  void createDescribeAlterGrowDelete() {
    TopicDescription created =
        get(
            log.createTopic(
                "life", 3, Map.of("retention.ms", "60000", "cleanup.policy", "compact")));
    assertEquals(3, created.partitions().size());
    assertEquals(60000, created.config().retentionMs());
    assertEquals(TopicConfig.CleanupPolicy.COMPACT, created.config().cleanupPolicy());
    assertEquals(
        TopicConfig.CompressionType.PRODUCER, created.config().compressionType(), "default kept");
    assertTrue(get(log.listTopics()).contains("life"));
    assertCode("topic_already_exists", log.createTopic("life", 1, Map.of()));

    TopicDescription altered =
        get(log.alterTopicConfigs("life", Map.of("retention.bytes", "1000")));
    assertEquals(1000, altered.config().retentionBytes());
    assertEquals(60000, altered.config().retentionMs());

    assertEquals(5, get(log.createPartitions("life", 5)).partitions().size());
    assertCode("invalid_partitions", log.createPartitions("life", 2));

    get(log.send("life", records("life", 4, 2, "v")));
    assertEquals(2, get(log.describeTopic("life")).partitions().get(4).logEndOffset());

    get(log.deleteTopic("life"));
    assertCode("unknown_topic_or_partition", log.describeTopic("life"));
    // Deletion snapshots the empty partition and deletes every event before it.
    await(Duration.ofSeconds(10), () -> events("life", 4) <= 1);
    TopicDescription again = get(log.createTopic("life", 5, Map.of()));
    assertEquals(0, again.partitions().get(4).logEndOffset(), "a re-created topic starts empty");
  }

  @Test
  void badInputIsRejectedAndWritesNothing() {
    assertCode("invalid_topic_name", log.createTopic("bad name!", 1, Map.of()));
    assertCode("invalid_topic_name", log.createTopic("x".repeat(250), 1, Map.of()));
    assertCode("invalid_topic_name", log.createTopic("..", 1, Map.of()));
    assertCode("invalid_partitions", log.createTopic("zero", 0, Map.of()));
    assertCode("invalid_partitions", log.createTopic("many", 1025, Map.of()));
    assertCode("invalid_config", log.createTopic("cfg", 1, Map.of("retention.ms", "soon")));
    assertCode("invalid_config", log.createTopic("cfg", 1, Map.of("no.such.config", "1")));
    assertCode("invalid_config", log.createTopic("cfg", 1, Map.of("compression.type", "gzip2")));
    assertTrue(
        get(log.listTopics()).stream().noneMatch(t -> List.of("zero", "many", "cfg").contains(t)));

    assertCode("unknown_topic_or_partition", log.send("nope", records("nope", null, 1, "v")));
    assertCode("unknown_topic_or_partition", log.fetch("nope", 0, 0));

    get(log.createTopic("small", 2, Map.of("max.message.bytes", "200")));
    var outOfRange = log.send("small", records("small", 7, 1, "v"));
    assertCode("unknown_topic_or_partition", outOfRange);
    assertCode("unknown_topic_or_partition", log.fetch("small", 2, 0));
    var tooLarge =
        log.send(
            "small", List.of(new ProducerRecord("small", 0, null, new byte[500], Map.of(), null)));
    assertEquals(ErrorKind.TOO_LARGE, LogTestKit.failure(tooLarge).kind());
    assertEquals("record_too_large", LogTestKit.failure(tooLarge).code());
    TopicDescription after = get(log.describeTopic("small"));
    assertEquals(0, after.partitions().get(0).logEndOffset());
    assertEquals(1, events("small", 0), "only the configuration event");
  }

  @Test
  void offsetsAreContiguousFromZeroWithOneEventPerBatch() {
    get(log.createTopic("contig", 1, Map.of()));
    List<RecordMetadata> first = get(log.send("contig", records("contig", 0, 5, "a")));
    List<RecordMetadata> second = get(log.send("contig", records("contig", 0, 3, "b")));
    List<Long> offsets = new ArrayList<>();
    first.forEach(m -> offsets.add(m.offset()));
    second.forEach(m -> offsets.add(m.offset()));
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L), offsets);
    assertEquals(1 + 2, events("contig", 0), "configure + one event per batch");

    FetchResult all = get(log.fetch("contig", 0, 0));
    assertEquals(8, all.records().size());
    assertEquals("a0", all.records().get(0).valueString());
    assertEquals("b2", all.records().get(7).valueString());
    assertEquals(8, all.highWatermark());
    FetchResult middle =
        get(
            log.fetch(
                "contig", 0, 3, log.consumerSettings().with(Map.of("max.poll.records", "2"))));
    assertEquals(List.of(3L, 4L), middle.records().stream().map(ConsumerRecord::offset).toList());
    assertEquals(5, middle.nextOffset());
    assertCode("offset_out_of_range", log.fetch("contig", 0, 9));
    assertCode("offset_out_of_range", log.fetch("contig", 0, -1));
  }

  @Test
  void sendWithAcksZeroAnswersBeforeTheWrite() {
    get(log.createTopic("acks0", 1, Map.of()));
    List<RecordMetadata> answered =
        get(
            log.send(
                "acks0", records("acks0", 0, 2, "x"), dev.cohort.log.ProducerSettings.Acks.NONE));
    assertEquals(List.of(-1L, -1L), answered.stream().map(RecordMetadata::offset).toList());
    await(Duration.ofSeconds(10), () -> get(log.fetch("acks0", 0, 0)).records().size() == 2);
  }

  @Test
  void longPollIsAnsweredWhenDataArrives() {
    get(log.createTopic("poll", 1, Map.of()));
    ConsumerSettings patient = log.consumerSettings().with(Map.of("fetch.max.wait.ms", "20000"));
    long started = System.nanoTime();
    CompletionStage<FetchResult> waiting = log.fetch("poll", 0, 0, patient);
    assertTrue(!waiting.toCompletableFuture().isDone());
    get(log.send("poll", records("poll", 0, 1, "late")));
    FetchResult result = get(waiting);
    assertEquals("late0", result.records().getFirst().valueString());
    assertTrue(Duration.ofNanos(System.nanoTime() - started).toSeconds() < 15);
    // An empty long poll ends when its wait expires.
    FetchResult empty =
        get(
            log.fetch(
                "poll", 0, 1, log.consumerSettings().with(Map.of("fetch.max.wait.ms", "50"))));
    assertTrue(empty.records().isEmpty());
    assertEquals(1, empty.highWatermark());
  }

  @Test
  void compressedTopicsReadBackByteIdentical() {
    Random random = new Random(3);
    for (String codec : List.of("none", "snappy", "lz4", "zstd")) {
      String topic = "codec-" + codec;
      get(log.createTopic(topic, 1, Map.of("compression.type", codec)));
      List<ProducerRecord> sent = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        byte[] value = new byte[random.nextInt(2000)];
        random.nextBytes(value);
        if (i % 3 == 0) {
          java.util.Arrays.fill(value, (byte) 'z');
        }
        sent.add(
            new ProducerRecord(
                topic,
                0,
                ("k" + i).getBytes(StandardCharsets.UTF_8),
                value,
                Map.of("trace", new byte[] {1, 2, (byte) i}),
                1_700_000_000_000L + i));
      }
      get(log.send(topic, sent));
      FetchResult back = get(log.fetch(topic, 0, 0));
      assertEquals(sent.size(), back.records().size(), codec);
      for (int i = 0; i < sent.size(); i++) {
        ConsumerRecord r = back.records().get(i);
        assertArrayEquals(sent.get(i).value(), r.value(), codec + " value " + i);
        assertArrayEquals(sent.get(i).key(), r.key());
        assertArrayEquals(sent.get(i).headers().get("trace"), r.headers().get("trace"));
        assertEquals(1_700_000_000_000L + i, r.timestamp());
      }
    }
  }

  @Test
  void logAppendTimeTopicsStampRecordsAtAppend() {
    get(log.createTopic("lat", 1, Map.of("message.timestamp.type", "LogAppendTime")));
    long before = System.currentTimeMillis();
    List<RecordMetadata> sent =
        get(
            log.send(
                "lat", List.of(new ProducerRecord("lat", 0, null, new byte[1], Map.of(), 5L))));
    assertTrue(sent.getFirst().timestamp() >= before);
    ConsumerRecord read = get(log.fetch("lat", 0, 0)).records().getFirst();
    assertEquals(sent.getFirst().timestamp(), read.timestamp());
    assertEquals(TopicConfig.TimestampType.LOG_APPEND_TIME, read.timestampType());
  }

  @Test
  void retentionBySizeDeletesWholeBatchesAndFreesEvents() {
    get(log.createTopic("ret", 1, Map.of()));
    for (int i = 0; i < 12; i++) {
      get(log.send("ret", records("ret", 0, 2, "batch" + i + "-")));
    }
    long eventsBefore = events("ret", 0);
    long size = get(log.describeTopic("ret")).partitions().getFirst().sizeBytes();
    get(log.alterTopicConfigs("ret", Map.of("retention.bytes", Long.toString(size / 4))));
    PartitionEntity.Reply status =
        get(
            log.partition(new dev.cohort.log.TopicPartition("ret", 0))
                .ask(PartitionEntity.CheckRetention::new, Duration.ofSeconds(5)));
    PartitionEntity.Status s = (PartitionEntity.Status) status;
    assertTrue(s.logStartOffset() > 0 && s.logStartOffset() % 2 == 0, "whole batches: " + s);
    assertTrue(s.sizeBytes() <= size / 4);
    assertEquals(24, s.logEndOffset());
    assertCode("offset_out_of_range", log.fetch("ret", 0, 0));
    assertEquals(
        s.logStartOffset(),
        get(log.fetch("ret", 0, s.logStartOffset())).records().getFirst().offset());
    // The snapshot after truncation lets the journal drop the events of deleted batches.
    await(Duration.ofSeconds(10), () -> events("ret", 0) < eventsBefore);
    // Fetching from the beginning with auto.offset.reset = earliest resets to the log start.
    ConsumerSettings earliest =
        log.consumerSettings().with(Map.of("auto.offset.reset", "earliest"));
    List<ConsumerRecord> streamed =
        get(log.source("ret", 0, 0, earliest).take(2).runWith(Sink.seq(), kit.system()));
    assertEquals(s.logStartOffset(), streamed.getFirst().offset());
  }

  @Test
  void retentionByTimeDeletesExpiredBatches() {
    get(log.createTopic("old", 1, Map.of("retention.ms", "60000")));
    long now = System.currentTimeMillis();
    get(
        log.send(
            "old",
            List.of(new ProducerRecord("old", 0, null, new byte[1], Map.of(), now - 120_000))));
    get(log.send("old", List.of(new ProducerRecord("old", 0, null, new byte[1], Map.of(), now))));
    PartitionEntity.Status s =
        (PartitionEntity.Status)
            get(
                log.partition(new dev.cohort.log.TopicPartition("old", 0))
                    .ask(PartitionEntity.CheckRetention::new, Duration.ofSeconds(5)));
    assertEquals(1, s.logStartOffset());
    assertEquals(2, s.logEndOffset());
  }

  @Test
  void compactionKeepsLatestPerKeyAndHonoursTombstones() {
    get(
        log.createTopic(
            "cmp",
            1,
            Map.of(
                "cleanup.policy",
                "compact",
                "min.cleanable.dirty.ratio",
                "0",
                "delete.retention.ms",
                "600000")));
    long now = System.currentTimeMillis();
    List<ProducerRecord> batch = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      batch.add(
          new ProducerRecord(
              "cmp",
              0,
              ("key" + (i % 5)).getBytes(StandardCharsets.UTF_8),
              ("v" + i).getBytes(StandardCharsets.UTF_8),
              Map.of(),
              now));
    }
    get(log.send("cmp", batch.subList(0, 15)));
    get(log.send("cmp", batch.subList(15, 30)));
    // key0 deleted recently (kept), key1 deleted long ago (removed).
    get(
        log.send(
            "cmp",
            List.of(
                new ProducerRecord(
                    "cmp", 0, "key0".getBytes(StandardCharsets.UTF_8), null, Map.of(), now),
                new ProducerRecord(
                    "cmp",
                    0,
                    "key1".getBytes(StandardCharsets.UTF_8),
                    null,
                    Map.of(),
                    now - 3_600_000))));
    assertCode(
        "invalid_record",
        log.send("cmp", List.of(new ProducerRecord("cmp", 0, null, new byte[1], Map.of(), null))));
    var tp = new dev.cohort.log.TopicPartition("cmp", 0);
    get(log.partition(tp).ask(PartitionEntity.CheckRetention::new, Duration.ofSeconds(5)));
    await(Duration.ofSeconds(10), () -> get(log.fetch("cmp", 0, 0)).records().size() == 4);
    List<ConsumerRecord> left = get(log.fetch("cmp", 0, 0)).records();
    assertEquals(List.of(27L, 28L, 29L, 30L), left.stream().map(ConsumerRecord::offset).toList());
    assertEquals("v27", left.get(0).valueString());
    assertEquals("key0", left.get(3).keyString());
    assertEquals(null, left.get(3).value());
    FetchResult tail = get(log.fetch("cmp", 0, 31));
    assertEquals(32, tail.highWatermark(), "offsets never change");
    // Offsets below the first survivor are still in range (gaps are allowed).
    assertEquals(27, get(log.fetch("cmp", 0, 3)).records().getFirst().offset());
    // A produce after compaction continues at the log end.
    assertEquals(
        32,
        get(log.send("cmp", List.of(ProducerRecord.of("cmp", "key9", "new")))).getFirst().offset());
  }

  @Test
  void sourceStreamsWithBackpressureFromAnOffset() {
    get(log.createTopic("src", 1, Map.of()));
    for (int i = 0; i < 5; i++) {
      get(log.send("src", records("src", 0, 10, "r" + i + "-")));
    }
    ConsumerSettings small = log.consumerSettings().with(Map.of("max.poll.records", "7"));
    List<ConsumerRecord> got =
        get(log.source("src", 0, 5, small).take(40).runWith(Sink.seq(), kit.system()));
    for (int i = 0; i < 40; i++) {
      assertEquals(5 + i, got.get(i).offset());
    }
    ConsumerSettings none = log.consumerSettings().with(Map.of("auto.offset.reset", "none"));
    var failed = log.source("src", 0, 99, none).runWith(Sink.head(), kit.system());
    assertCode("offset_out_of_range", failed);
  }

  @Test
  void metricsReportProducedFetchedAndPartitionOffsets() {
    get(log.createTopic("metered", 2, Map.of()));
    get(log.send("metered", records("metered", 1, 3, "m")));
    get(log.fetch("metered", 1, 0));
    String scrape = dev.cohort.observability.Metrics.get(kit.system()).scrape();
    assertTrue(scrape.contains("cohort_log_produced_records_total{topic=\"metered\"} 3.0"), scrape);
    assertTrue(scrape.contains("cohort_log_produced_bytes_total{topic=\"metered\"}"));
    assertTrue(scrape.contains("cohort_log_fetched_records_total{topic=\"metered\"} 3.0"));
    assertTrue(
        scrape.contains(
            "cohort_log_partition_log_end_offset{partition=\"1\",topic=\"metered\"} 3.0"));
    assertTrue(
        scrape.contains(
            "cohort_log_partition_log_start_offset{partition=\"1\",topic=\"metered\"} 0.0"));
    assertTrue(
        scrape.contains("cohort_log_partition_size_bytes{partition=\"1\",topic=\"metered\"}"));
    assertTrue(scrape.contains("cohort_log_produce_seconds_count"));
    // kafka_exporter's names and labels for the same numbers
    assertTrue(
        scrape.contains(
            "kafka_topic_partition_current_offset{partition=\"1\",topic=\"metered\"} 3.0"),
        scrape);
    assertTrue(
        scrape.contains(
            "kafka_topic_partition_oldest_offset{partition=\"1\",topic=\"metered\"} 0.0"));
    assertTrue(scrape.contains("kafka_topic_partitions{topic=\"metered\"} 2.0"), scrape);
    // Every partition has recovered (one still starting would count).
    await(Duration.ofSeconds(10), () -> unavailablePartitions() == 0);
  }

  /** cohort_log_partitions_not_serving: partitions hosted on this node that are not serving. */
  private static double unavailablePartitions() {
    return dev.cohort.observability.Metrics.get(kit.system())
        .scrape()
        .lines()
        .filter(l -> l.startsWith("cohort_log_partitions_not_serving "))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no cohort_log_partitions_not_serving"));
  }

  /**
   * The gauge counts a partition whose entity has started but not yet recovered from the journal:
   * the journal holds the new partition's first read until the gauge has shown it, and once the
   * read goes through and the partition serves, the gauge is back at 0.
   */
  @Test
  void aPartitionStillRecoveringCountsAsUnavailableUntilItServes() throws Exception {
    await(Duration.ofSeconds(10), () -> unavailablePartitions() == 0);
    String slow =
        PartitionEntity.ENTITY_TYPE_KEY.name() + "|" + PartitionEntity.entityId("slow", 0);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean held =
        new java.util.concurrent.atomic.AtomicBoolean();
    journal.withPolicy(
        (persistenceId, operation) -> {
          if (persistenceId.equals(slow)
              && !(operation instanceof org.apache.pekko.persistence.testkit.WriteEvents)
              && held.compareAndSet(false, true)) {
            try {
              release.await(
                  30, java.util.concurrent.TimeUnit.SECONDS); // the recovery's first read waits
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return org.apache.pekko.persistence.testkit.ProcessingSuccess$.MODULE$;
        });
    try {
      // Creating the topic starts its partition; a produce would start it too.
      var created = log.createTopic("slow", 1, Map.of()).toCompletableFuture();
      await(Duration.ofSeconds(10), () -> held.get() && unavailablePartitions() == 1);
      release.countDown();
      get(created);
      await(Duration.ofSeconds(10), () -> unavailablePartitions() == 0);
      assertEquals(0, get(log.send("slow", records("slow", 0, 1, "served"))).getFirst().offset());
    } finally {
      release.countDown();
      journal.resetPolicy();
    }
  }

  /** Acknowledged means durable: a failed journal write is never acknowledged. */
  @Test
  void aFailedJournalWriteIsNotAcknowledgedAndThePartitionRecovers() {
    get(log.createTopic("fragile", 1, Map.of()));
    get(log.send("fragile", records("fragile", 0, 1, "before")));
    journal.failNextPersisted();
    var tp = new dev.cohort.log.TopicPartition("fragile", 0);
    KafkaBatches.Builder builder = new KafkaBatches.Builder();
    builder.add(null, new byte[] {1}, Map.of(), 1);
    KafkaBatches.Encoded batch = builder.build(TopicConfig.CompressionType.NONE);
    String topicId = get(log.describeTopic("fragile")).topicId();
    var lost =
        log.partition(tp)
            .<PartitionEntity.Reply>ask(
                r -> new PartitionEntity.Produce(topicId, -1, 0, 0, batch, r),
                Duration.ofSeconds(1));
    assertTrue(
        assertThrowsCause(lost) instanceof java.util.concurrent.TimeoutException,
        "no acknowledgement for a write that failed");
    await(
        Duration.ofSeconds(10),
        () -> {
          try {
            return get(log.send("fragile", records("fragile", 0, 1, "after"))).getFirst().offset()
                == 1;
          } catch (RuntimeException e) {
            return false;
          }
        });
    List<ConsumerRecord> all = get(log.fetch("fragile", 0, 0)).records();
    assertEquals(
        List.of("before0", "after0"), all.stream().map(ConsumerRecord::valueString).toList());
  }

  private static Throwable assertThrowsCause(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      return e;
    }
    throw new AssertionError("expected a failure");
  }
}
