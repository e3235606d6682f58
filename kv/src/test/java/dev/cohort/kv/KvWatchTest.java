package dev.cohort.kv;

import static dev.cohort.testkit.Await.await;
import static dev.cohort.testkit.Await.errorCode;
import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.kv.internal.Keys;
import dev.cohort.kv.internal.KvPartition;
import dev.cohort.kv.internal.Tokens;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Watches: every change exactly once and in order per partition across partition restarts and a
 * resume from a token; a resume from compacted history gets a snapshot first.
 */
class KvWatchTest {
  private static ActorTestKit kit;
  private static Kv kv;

  @BeforeAll
  static void start() {
    kit = KvTestSystems.cluster("KvWatchTest", "cohort.kv.history.keep-revisions = 20\n");
    kv = KvTestSystems.startKv(kit);
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  /** What a watch must report for one change. */
  private record Seen(
      int partition, long revision, String key, WatchEvent.Type type, String value) {
    static Seen of(WatchEvent e) {
      return new Seen(
          e.header().partition(),
          e.header().revision(),
          e.kv().key(),
          e.type(),
          e.type() == WatchEvent.Type.PUT ? e.kv().valueUtf8() : null);
    }
  }

  private static final class Collector {
    final ConcurrentLinkedQueue<WatchEvent> events = new ConcurrentLinkedQueue<>();
    final UniqueKillSwitch kill;

    Collector(String keyspace, WatchRequest request) {
      kill =
          kv.watch(keyspace, request)
              .viaMat(KillSwitches.single(), Keep.right())
              .toMat(Sink.foreach(events::add), Keep.left())
              .run(kit.system());
    }

    List<Seen> seen() {
      return events.stream().map(Seen::of).toList();
    }
  }

  private static Map<Integer, List<Seen>> byPartition(List<Seen> seen) {
    Map<Integer, List<Seen>> map = new TreeMap<>();
    seen.forEach(s -> map.computeIfAbsent(s.partition(), p -> new ArrayList<>()).add(s));
    return map;
  }

  private static void passivateAll(KeyspaceInfo ks) {
    for (int p = 0; p < ks.partitions(); p++) {
      ClusterSharding.get(kit.system())
          .entityRefFor(
              KvPartition.ENTITY_TYPE_KEY,
              KvPartition.entityId(ks.name(), ks.incarnation(), ks.partitions(), p))
          .tell(KvPartition.Passivate.INSTANCE);
    }
  }

  /** One key per partition, written last: once all are seen, nothing earlier is still coming. */
  private static List<Seen> sentinels(KeyspaceInfo ks, String prefix, String round) {
    List<Seen> expected = new ArrayList<>();
    for (int p = 0; p < ks.partitions(); p++) {
      String key = null;
      for (int i = 0; key == null; i++) {
        if (Keys.partitionOf(prefix + "s" + i, ks.partitions()) == p) {
          key = prefix + "s" + i;
        }
      }
      PutResult r = join(kv.put(ks.name(), key, round));
      expected.add(new Seen(p, r.header().revision(), key, WatchEvent.Type.PUT, round));
    }
    return expected;
  }

  /**
   * What {@code watch} delivered apart from one copy of each of {@code markers}, once they all
   * arrived. The markers are writes made after every change a test expects, and a watch delivers in
   * revision order per partition, so a late duplicate of an earlier change arrives before its
   * partition's marker and is in the answer (as is a second copy of a marker).
   */
  private static List<Seen> settledBefore(Collector watch, List<Seen> markers) {
    await(Duration.ofSeconds(10), () -> watch.seen().containsAll(markers));
    List<Seen> seen = new ArrayList<>(watch.seen());
    markers.forEach(seen::remove);
    return seen;
  }

  /** Whether {@code watch} delivered a change of {@code key} to {@code value}. */
  private static boolean delivered(Collector watch, String key, String value) {
    return watch.events.stream()
        .anyMatch(
            e ->
                e.type() == WatchEvent.Type.PUT
                    && e.kv().key().equals(key)
                    && e.kv().valueUtf8().equals(value));
  }

  @Test
  void everyChangeExactlyOnceInOrderAcrossRestartsAndResume() {
    KeyspaceInfo ks = join(kv.createKeyspace("w", KeyspaceSpec.cp(4)));
    String start = join(kv.range("w", RangeRequest.prefix("w/"))).token();
    Collector first = new Collector("w", WatchRequest.prefix("w/").from(start));
    List<Seen> expected = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      if (i == 20) {
        passivateAll(ks); // partitions stop and recover from the journal mid-stream
      }
      String key = "w/" + (i % 10);
      if (i % 7 == 6) {
        DeleteResult d = join(kv.delete("w", key, false));
        if (d.deleted() == 1) {
          Header h = d.headers().getFirst();
          expected.add(new Seen(h.partition(), h.revision(), key, WatchEvent.Type.DELETE, null));
        }
      } else if (i % 9 == 8) {
        TxnResult t =
            join(
                kv.txn(
                    "w",
                    new TxnRequest(
                        List.of(),
                        List.of(new TxnOp.Put("w/{t}a", "a" + i), new TxnOp.Put("w/{t}b", "b" + i)),
                        List.of())));
        Header h = t.header();
        expected.add(new Seen(h.partition(), h.revision(), "w/{t}a", WatchEvent.Type.PUT, "a" + i));
        expected.add(new Seen(h.partition(), h.revision(), "w/{t}b", WatchEvent.Type.PUT, "b" + i));
      } else {
        PutResult r = join(kv.put("w", key, "v" + i));
        expected.add(
            new Seen(
                r.header().partition(), r.header().revision(), key, WatchEvent.Type.PUT, "v" + i));
      }
    }
    expected.addAll(sentinels(ks, "w/", "end1"));
    await(Duration.ofSeconds(10), () -> first.events.size() >= expected.size());
    assertEquals(
        byPartition(expected),
        byPartition(settledBefore(first, sentinels(ks, "w/", "settled1"))),
        "SeenExactlyOnceInOrder");
    assertTrue(first.events.stream().noneMatch(WatchEvent::snapshot));

    // resume from the token of an event in the middle of a two-key transaction's revision
    List<WatchEvent> all = new ArrayList<>(first.events);
    int k = 0;
    while (!all.get(k).kv().key().equals("w/{t}a")) {
      k++;
    }
    Collector resumed = new Collector("w", WatchRequest.prefix("w/").from(all.get(k).token()));
    List<Seen> expectedAfter =
        all.subList(k + 1, all.size()).stream()
            .map(Seen::of)
            .collect(java.util.stream.Collectors.toCollection(ArrayList::new));
    List<Seen> more = sentinels(ks, "w/", "end2");
    expectedAfter.addAll(more);
    await(Duration.ofSeconds(10), () -> resumed.events.size() >= expectedAfter.size());
    assertEquals(
        byPartition(expectedAfter),
        byPartition(settledBefore(resumed, sentinels(ks, "w/", "settled2"))),
        "ResumeNoGapNoDuplicate");
    first.kill.shutdown();
    resumed.kill.shutdown();
  }

  @Test
  void compactedResumeSendsSnapshotFirst() {
    KeyspaceInfo ks = join(kv.createKeyspace("c", KeyspaceSpec.cp(1)));
    PutResult firstPut = join(kv.put("c", "c/a", "a0"));
    String oldToken = Tokens.resume(ks.incarnation(), List.of(firstPut.header()));
    for (int i = 1; i <= 150; i++) {
      join(kv.put("c", List.of("c/a", "c/b", "c/x").get(i % 3), "v" + i));
    }
    join(kv.delete("c", "c/x", false));
    assertEquals("revision_compacted", errorCode(kv.get("c", "c/a", firstPut.header().revision())));

    Collector watch = new Collector("c", WatchRequest.prefix("c/").from(oldToken));
    await(Duration.ofSeconds(5), () -> watch.events.size() >= 2);
    PutResult live = join(kv.put("c", "c/new", "live"));
    // One partition: a duplicate of anything above arrives before this marker.
    join(kv.put("c", "c/marker", "last"));
    await(Duration.ofSeconds(5), () -> delivered(watch, "c/marker", "last"));
    List<WatchEvent> events = new ArrayList<>(watch.events);
    assertEquals(4, events.size(), events.toString());
    assertEquals("c/marker", events.get(3).kv().key());
    assertTrue(events.get(0).snapshot() && events.get(1).snapshot(), "snapshot first");
    assertEquals(
        List.of("c/a", "c/b"), List.of(events.get(0).kv().key(), events.get(1).kv().key()));
    assertEquals(join(kv.get("c", "c/a")).kv().valueUtf8(), events.get(0).kv().valueUtf8());
    assertFalse(events.get(2).snapshot());
    assertEquals(live.header().revision(), events.get(2).header().revision());
    watch.kill.shutdown();
  }

  @Test
  void aWatchFromNowDeliversEveryChangeMadeOnceItIsEstablished() {
    KeyspaceInfo ks = join(kv.createKeyspace("now", KeyspaceSpec.cp(8)));
    for (int round = 0; round < 10; round++) {
      String prefix = "r" + round + "/";
      ConcurrentLinkedQueue<WatchEvent> events = new ConcurrentLinkedQueue<>();
      Pair<CompletionStage<Done>, UniqueKillSwitch> watch =
          kv.watch("now", WatchRequest.prefix(prefix))
              .viaMat(KillSwitches.single(), Keep.both())
              .toMat(Sink.foreach(events::add), Keep.left())
              .run(kit.system());
      join(watch.first());
      // Written at once: every partition's first change follows its subscription's answer.
      List<Seen> written = sentinels(ks, prefix, "round" + round);
      await(
          Duration.ofSeconds(10),
          () -> events.stream().map(Seen::of).toList().containsAll(written));
      watch.second().shutdown();
    }
  }

  @Test
  void watchOfAMissingKeyspaceFailsWithItsCode() {
    assertEquals(
        "keyspace_not_found",
        errorCode(
            kv.watch("nosuch", WatchRequest.prefix("")).runWith(Sink.ignore(), kit.system())));
    assertEquals(
        "keyspace_not_found",
        errorCode(
            kv.watch("nosuch", WatchRequest.prefix(""))
                .toMat(Sink.ignore(), Keep.left())
                .run(kit.system())));
    assertEquals(
        "invalid_request",
        errorCode(
            kv.watch("default", new WatchRequest(null, null, null, false))
                .runWith(Sink.ignore(), kit.system())));
  }

  @Test
  void keyWatchWithPrevKvFromAGetsHeader() {
    KeyspaceInfo ks = join(kv.keyspace("default"));
    PutResult put = join(kv.put("default", "wk", "one"));
    Collector watch =
        new Collector(
            "default",
            WatchRequest.key("wk")
                .withPrevKv()
                .from(join(kv.resumeToken("default", List.of(put.header())))));
    join(kv.put("default", "wk-other", "x"));
    join(kv.put("default", "wk", "two"));
    join(kv.delete("default", "wk", false));
    // A change of the watched key after the others: a duplicate of them arrives before it.
    join(kv.put("default", "wk", "marker"));
    await(Duration.ofSeconds(5), () -> delivered(watch, "wk", "marker"));
    List<WatchEvent> events = new ArrayList<>(watch.events);
    assertEquals(3, events.size(), events.toString());
    assertEquals("two", events.get(0).kv().valueUtf8());
    assertEquals("one", events.get(0).prevKv().valueUtf8());
    assertEquals(WatchEvent.Type.DELETE, events.get(1).type());
    assertEquals("two", events.get(1).prevKv().valueUtf8());
    watch.kill.shutdown();
  }
}
