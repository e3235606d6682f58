package dev.cohort.kv;

import static dev.cohort.testkit.Await.errorCode;
import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.kv.internal.Keys;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Keyspaces, keys, ranges, transactions and bad input through the embedded API. */
class KvServiceTest {
  private static ActorTestKit kit;
  private static Kv kv;

  @BeforeAll
  static void start() {
    kit = KvTestSystems.cluster("KvServiceTest", "cohort.kv.default-partitions = 8\n");
    kv = KvTestSystems.startKv(kit);
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void putGetCarriesRevisionsAndVersions() {
    PutResult first = join(kv.put("default", "svc/a", "1"));
    PutResult second = join(kv.put("default", "svc/a", bytes("2"), PutOptions.NONE.withPrevKv()));
    assertEquals(first.header().partition(), second.header().partition());
    assertEquals(first.header().revision() + 1, second.header().revision());
    assertEquals("1", second.prevKv().orElseThrow().valueUtf8());

    GetResult got = join(kv.get("default", "svc/a"));
    assertEquals("2", got.kv().valueUtf8());
    assertEquals(first.header().revision(), got.kv().createRevision());
    assertEquals(second.header().revision(), got.kv().modRevision());
    assertEquals(2, got.kv().version());

    GetResult old = join(kv.get("default", "svc/a", first.header().revision()));
    assertEquals("1", old.kv().valueUtf8());
    assertEquals("key_not_found", errorCode(kv.get("default", "svc/missing")));
    assertEquals(
        "future_revision",
        errorCode(kv.get("default", "svc/a", second.header().revision() + 1000)));
  }

  /**
   * Through the service's router: a nested transaction whose keys share a partition (a hash tag)
   * runs in a keyspace of many; one whose keys span partitions, and a compare over an interval or a
   * delete of one in a keyspace of many, are refused before anything is written.
   */
  @Test
  void nestedTransactionsStayInOnePartitionAndIntervalComparesInOnePartitionKeyspaces() {
    join(kv.createKeyspace("nest", KeyspaceSpec.cp(8)));
    TxnResult r =
        join(
            kv.txn(
                "nest",
                new TxnRequest(
                    List.of(),
                    List.of(
                        new TxnOp.Put("{n}a", "1"),
                        new TxnOp.Txn(
                            new TxnRequest(
                                List.of(Compare.version("{n}a", Compare.Op.EQUAL, 0)),
                                List.of(new TxnOp.Put("{n}b", "2")),
                                List.of()))),
                    List.of())));
    assertTrue(((TxnOpResult.Txn) r.responses().get(1)).succeeded());
    assertEquals("2", join(kv.get("nest", "{n}b")).kv().valueUtf8());

    String spread = "x0";
    for (int i = 1; Keys.partitionOf(spread, 8) == Keys.partitionOf("{n}a", 8); i++) {
      spread = "x" + i;
    }
    TxnRequest across =
        new TxnRequest(
            List.of(),
            List.of(
                new TxnOp.Put("{n}c", "3"),
                new TxnOp.Txn(
                    new TxnRequest(List.of(), List.of(new TxnOp.Put(spread, "4")), List.of()))),
            List.of());
    assertEquals("malformed_txn", errorCode(kv.txn("nest", across)));
    TxnRequest interval =
        new TxnRequest(
            List.of(Compare.version("{n}", Compare.Op.EQUAL, 0).overRange("{n}~")),
            List.of(new TxnOp.Put("{n}c", "3")),
            List.of());
    assertEquals("malformed_txn", errorCode(kv.txn("nest", interval)));
    TxnRequest intervalDelete =
        new TxnRequest(List.of(), List.of(new TxnOp.DeleteRange("{n}", "{n}~", false)), List.of());
    assertEquals("malformed_txn", errorCode(kv.txn("nest", intervalDelete)));
    assertEquals("1", join(kv.get("nest", "{n}a")).kv().valueUtf8());
    assertEquals("key_not_found", errorCode(kv.get("nest", "{n}c")));
    assertEquals("key_not_found", errorCode(kv.get("nest", spread)));
  }

  @Test
  void keyspacesAreCreatedOnceAndListed() {
    KeyspaceInfo created = join(kv.createKeyspace("orders", KeyspaceSpec.cp(4)));
    assertTrue(created.created());
    KeyspaceInfo again = join(kv.createKeyspace("orders", KeyspaceSpec.cp(4)));
    assertFalse(again.created());
    assertEquals("keyspace_exists", errorCode(kv.createKeyspace("orders", KeyspaceSpec.cp(5))));
    assertEquals("invalid_keyspace_name", errorCode(kv.createKeyspace("Bad!", KeyspaceSpec.cp(4))));
    assertEquals("invalid_partitions", errorCode(kv.createKeyspace("zero", KeyspaceSpec.cp(-1))));
    assertEquals(
        "unsupported_mode", errorCode(kv.createKeyspace("ap1", new KeyspaceSpec("eventual", 4))));
    List<String> names = join(kv.keyspaces()).stream().map(KeyspaceInfo::name).toList();
    assertTrue(names.contains("default") && names.contains("orders"), names.toString());

    join(kv.put("orders", "o1", "x"));
    join(kv.put("orders", "o2", "y"));
    KeyspaceStats stats = join(kv.keyspaceStats("orders"));
    assertEquals(2, stats.keys());

    assertEquals("default_keyspace", errorCode(kv.deleteKeyspace("default")));
    join(kv.deleteKeyspace("orders"));
    assertEquals("keyspace_not_found", errorCode(kv.get("orders", "o1")));
    KeyspaceInfo recreated = join(kv.createKeyspace("orders", KeyspaceSpec.cp(4)));
    assertTrue(recreated.incarnation() > created.incarnation());
    assertEquals("key_not_found", errorCode(kv.get("orders", "o1")));
    assertEquals("keyspace_not_found", errorCode(kv.get("nosuch", "k")));
  }

  @Test
  void rangesAreSortedAcrossPartitionsAndPage() {
    join(kv.createKeyspace("ranges", KeyspaceSpec.cp(8)));
    TreeMap<String, String> expected = new TreeMap<>();
    for (int i = 0; i < 25; i++) {
      String key = "r/" + String.format("%03d", i * 7 % 25);
      expected.put(key, "v" + i);
      join(kv.put("ranges", key, "v" + i));
    }
    join(kv.put("ranges", "s/outside", "x"));

    List<String> seen = new ArrayList<>();
    String page = null;
    int pages = 0;
    do {
      RangeResult r =
          join(kv.range("ranges", RangeRequest.prefix("r/").withLimit(10).withPage(page)));
      r.kvs().forEach(k -> seen.add(k.key()));
      page = r.next();
      assertEquals(r.more(), page != null);
      pages++;
    } while (page != null);
    assertEquals(new ArrayList<>(expected.keySet()), seen);
    assertEquals(3, pages);

    RangeResult count = join(kv.range("ranges", RangeRequest.prefix("r/").withCountOnly()));
    assertEquals(25, count.count());
    assertTrue(count.kvs().isEmpty());
    RangeResult keysOnly =
        join(kv.range("ranges", RangeRequest.between("r/005", "r/008").withKeysOnly()));
    assertEquals(
        List.of("r/005", "r/006", "r/007"), keysOnly.kvs().stream().map(KeyValue::key).toList());
    assertEquals(0, keysOnly.kvs().getFirst().value().length);

    DeleteResult deleted = join(kv.deletePrefix("ranges", "r/", true));
    assertEquals(25, deleted.deleted());
    assertEquals(25, deleted.prevKvs().size());
    assertEquals(0, join(kv.range("ranges", RangeRequest.prefix("r/"))).count());
    assertEquals(1, join(kv.range("ranges", RangeRequest.prefix(""))).count());
  }

  @Test
  void transactionsCompareAndSwap() {
    String key = "{acct}/balance";
    join(kv.put("default", key, "10"));
    TxnResult swapped =
        join(
            kv.txn(
                "default",
                new TxnRequest(
                    List.of(
                        Compare.value(key, Compare.Op.EQUAL, "10"),
                        Compare.version(key, Compare.Op.EQUAL, 1)),
                    List.of(
                        new TxnOp.Put(key, "20"),
                        new TxnOp.Put("{acct}/log", "10->20"),
                        new TxnOp.Get(key)),
                    List.of(new TxnOp.Get(key)))));
    assertTrue(swapped.succeeded());
    TxnOpResult.Get read = (TxnOpResult.Get) swapped.responses().get(2);
    assertEquals("20", read.kv().orElseThrow().valueUtf8());
    assertEquals(swapped.header().revision(), read.kv().orElseThrow().modRevision());

    TxnResult failed =
        join(
            kv.txn(
                "default",
                new TxnRequest(
                    List.of(Compare.value(key, Compare.Op.EQUAL, "10")),
                    List.of(new TxnOp.Put(key, "30")),
                    List.of(new TxnOp.Get(key)))));
    assertFalse(failed.succeeded());
    assertEquals(
        "20", ((TxnOpResult.Get) failed.responses().getFirst()).kv().orElseThrow().valueUtf8());

    // the source document's etcd lock: create only when createRevision == 0
    TxnRequest createOnly =
        new TxnRequest(
            List.of(Compare.createRevision("{acct}/lock", Compare.Op.EQUAL, 0)),
            List.of(new TxnOp.Put("{acct}/lock", "locked")),
            List.of());
    assertTrue(join(kv.txn("default", createOnly)).succeeded());
    assertFalse(join(kv.txn("default", createOnly)).succeeded());

    int p1 = Keys.partitionOf("x1", 8);
    String other = "x2";
    for (int i = 2; Keys.partitionOf(other, 8) == p1; i++) {
      other = "x" + i;
    }
    String o = other;
    // Keys in two partitions: the transaction runs through two-phase commit, same result shape.
    TxnResult cross =
        join(
            kv.txn(
                "default",
                new TxnRequest(
                    List.of(Compare.createRevision("x1", Compare.Op.EQUAL, 0)),
                    List.of(new TxnOp.Put("x1", "a"), new TxnOp.Put(o, "b"), new TxnOp.Get("x1")),
                    List.of())));
    assertTrue(cross.succeeded());
    assertEquals(3, cross.responses().size());
    assertEquals("a", ((TxnOpResult.Get) cross.responses().get(2)).kv().orElseThrow().valueUtf8());
    assertEquals(2, cross.headers().size());
    assertEquals("a", join(kv.get("default", "x1")).kv().valueUtf8());
    assertEquals("b", join(kv.get("default", o)).kv().valueUtf8());
  }

  @Test
  void badInputChangesNothing() {
    join(kv.put("default", "bad/k", "keep"));
    long before = join(kv.get("default", "bad/k")).kv().modRevision();
    Map<String, java.util.concurrent.CompletionStage<?>> attempts = new java.util.LinkedHashMap<>();
    attempts.put("invalid_keyspace_name", kv.put("Not Valid", "k", "v"));
    attempts.put("invalid_key", kv.put("default", "", "v"));
    attempts.put("key_too_large", kv.put("default", "k".repeat(1025), "v"));
    attempts.put(
        "value_too_large", kv.put("default", "bad/k", new byte[1024 * 1024 + 1], PutOptions.NONE));
    attempts.put(
        "lease_not_found", kv.put("default", "bad/k", bytes("x"), PutOptions.withLease(999_999)));
    attempts.put(
        "malformed_txn",
        kv.txn(
            "default",
            new TxnRequest(
                List.of(new Compare("bad/k", null, Compare.Op.EQUAL, null, 0)),
                List.of(new TxnOp.Put("bad/k", "x")),
                List.of())));
    attempts.put(
        "duplicate_key_in_txn",
        kv.txn(
            "default",
            new TxnRequest(
                List.of(),
                List.of(new TxnOp.Put("bad/k", "x"), new TxnOp.Delete("bad/k")),
                List.of())));
    attempts.put(
        "invalid_page_token", kv.range("default", RangeRequest.prefix("bad/").withPage("!!")));
    attempts.forEach((code, stage) -> assertEquals(code, errorCode(stage), code));
    GetResult after = join(kv.get("default", "bad/k"));
    assertEquals("keep", after.kv().valueUtf8());
    assertEquals(before, after.kv().modRevision());
    assertEquals("key_not_found", errorCode(kv.get("default", "k".repeat(10))));
    assertEquals(1, join(kv.range("default", RangeRequest.prefix("bad/"))).count());
  }

  private static double sample(String scrape, String series) {
    return scrape
        .lines()
        .filter(l -> l.startsWith(series + " ") || l.startsWith(series + "{"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  /** Concurrent writes to one partition share journal writes (BatchedJournalWrites). */
  @Test
  void concurrentWritesToOnePartitionAreBatchedAndMetered() {
    var metrics = dev.cohort.observability.Metrics.get(kit.system());
    String before = metrics.scrape();
    int writes = 400;
    List<java.util.concurrent.CompletableFuture<PutResult>> puts = new ArrayList<>();
    for (int i = 0; i < writes; i++) {
      puts.add(kv.put("default", "{hot}/k" + (i % 50), "v" + i).toCompletableFuture());
    }
    java.util.Set<Long> revisions = new java.util.HashSet<>();
    puts.forEach(p -> revisions.add(join(p).header().revision()));
    assertEquals(writes, revisions.size(), "every write got its own revision");
    String after = metrics.scrape();
    double journalWrites =
        sample(after, "cohort_kv_journal_batch_events_count")
            - sample(before, "cohort_kv_journal_batch_events_count");
    double events =
        sample(after, "cohort_kv_journal_batch_events_sum")
            - sample(before, "cohort_kv_journal_batch_events_sum");
    assertEquals(writes, events, 0.0);
    assertTrue(
        journalWrites < writes / 2.0, writes + " writes took " + journalWrites + " journal writes");
    System.out.printf(
        "kv batching: %d puts to one partition in %.0f journal writes%n", writes, journalWrites);
    assertTrue(
        after.contains("cohort_kv_requests_total{keyspace=\"default\",op=\"put\",outcome=\"ok\"}"),
        after);
    assertTrue(after.contains("cohort_kv_request_seconds_bucket"));
    assertTrue(after.contains("cohort_kv_keys{keyspace=\"default\"}"));
    assertTrue(after.contains("cohort_kv_leases"));
    assertTrue(after.contains("cohort_kv_watchers"));
  }

  @Test
  void keyOfExactly1024BytesIsAccepted() {
    String key = "é".repeat(512);
    assertEquals(1024, Keys.utf8Length(key));
    join(kv.put("default", key, "ok"));
    assertArrayEquals(bytes("ok"), join(kv.get("default", key)).kv().value());
    assertEquals(1, join(kv.delete("default", key, false)).deleted());
    assertEquals("key_not_found", errorCode(kv.get("default", key)));
  }
}
