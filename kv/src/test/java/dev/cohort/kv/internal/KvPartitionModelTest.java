package dev.cohort.kv.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.cohort.kv.Compare;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnOpResult;
import dev.cohort.kv.TxnRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Model-based test of one partition: seeded random puts, gets (also at past revisions), deletes,
 * range deletes, transactions, lease revocations and batches, with restarts (recovery from
 * snapshots and events) in between, compared with a plain in-test model. Named invariants:
 * RevisionsMatchModel, VersionsMatchModel, RejectedChangesNothing, RecoveryRebuildsState.
 */
class KvPartitionModelTest {
  private static final ActorTestKit testKit = PartitionTestKits.serializing();
  private static final KvSettings SETTINGS =
      KvSettings.create(
          ConfigFactory.parseString(
                  "cohort.kv.history.keep-revisions = 30\n"
                      + "cohort.kv.snapshot-every-events = 7\n"
                      + "cohort.kv.max-value-bytes = 64\n")
              .withFallback(ConfigFactory.load()));
  private static final int PARTITIONS = 1;

  private EventSourcedBehaviorTestKit<KvPartition.Command, KvPartition.Event, KvPartition.Stage> es;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void create() {
    es = PartitionTestKits.partition(testKit, SETTINGS, "model", PARTITIONS);
    es.clear();
  }

  /** The model: a sorted map, a revision counter and every change ever made. */
  private static final class Model {
    final TreeMap<String, KeyValue> kvs = new TreeMap<>();
    final List<Object[]> history = new ArrayList<>(); // {revision, key, prev}
    final Set<Long> revoked = new HashSet<>();
    long revision;

    KeyValue at(String key, long rev) {
      KeyValue v = kvs.get(key);
      for (int i = history.size() - 1; i >= 0 && (long) history.get(i)[0] > rev; i--) {
        if (history.get(i)[1].equals(key)) {
          v = (KeyValue) history.get(i)[2];
        }
      }
      return v;
    }

    void put(KeyValue kv) {
      history.add(new Object[] {kv.modRevision(), kv.key(), kvs.put(kv.key(), kv)});
    }

    void delete(String key, long rev) {
      history.add(new Object[] {rev, key, kvs.remove(key)});
    }
  }

  /** HistoryBoundedByBytes: large values compact history early, whole revisions at a time. */
  @Test
  void historyStaysUnderMaxBytes() {
    KvSettings small =
        KvSettings.create(
            ConfigFactory.parseString(
                    "cohort.kv.history.max-bytes = 16KiB\ncohort.kv.max-value-bytes = 4KiB")
                .withFallback(ConfigFactory.load()));
    PartitionStore store = new PartitionStore(0, small);
    KvPartition.State state = KvPartition.State.empty();
    for (long rev = 1; rev <= 200; rev++) {
      KeyValue kv = new KeyValue("k" + (rev % 5), new byte[1000], rev, rev, 1, 0);
      state =
          store.applyWritten(
              state, new KvPartition.Written(rev, rev, List.of(new KvPartition.PutKv(kv)), 0));
      long counted =
          state.history().stream()
              .mapToLong(c -> PartitionStore.sizeOf(c.kv()) + PartitionStore.sizeOf(c.prev()))
              .sum();
      assertEquals(counted, state.historyBytes(), "historyBytes is the sum of the history");
      assertTrue(state.historyBytes() <= 16 * 1024 + 2 * 1002, "history " + state.historyBytes());
      assertTrue(
          state.history().isEmpty()
              || state.history().getFirst().revision() == state.compactedRevision() + 1);
    }
    assertTrue(state.compactedRevision() > 150, "compacted up to " + state.compactedRevision());
  }

  /**
   * DroppedStaysDropped: once its keyspace is deleted a partition refuses reads, writes, prepares
   * and lock waits with keyspace_not_found, also after recovering from the snapshot taken with the
   * drop (snapshot-every-events is 7 here); lease keys are still listed, as before stages existed.
   */
  @Test
  void droppedPartitionRefusesAlsoAfterRecovery() {
    for (int i = 0; i < 6; i++) {
      TxnRequest put =
          new TxnRequest(
              List.of(),
              List.of(new TxnOp.Put("k" + i, b("v"), PutOptions.withLease(i == 0 ? 5 : 0))),
              List.of());
      assertInstanceOf(
          KvPartition.TxnReply.class,
          es.<KvPartition.Reply>runCommand(r -> new KvPartition.Txn(put, r)).reply());
    }
    assertInstanceOf(
        KvPartition.Done.class, es.<KvPartition.Reply>runCommand(KvPartition.Drop::new).reply());
    assertInstanceOf(KvPartition.Gone.class, es.getState());
    es.restart();
    assertInstanceOf(KvPartition.Gone.class, es.getState(), "recovered from the drop's snapshot");
    TxnRequest put =
        new TxnRequest(List.of(), List.of(new TxnOp.Put("k9", b("v"), PutOptions.NONE)), List.of());
    List<
            java.util.function.Function<
                org.apache.pekko.actor.typed.ActorRef<KvPartition.Reply>, KvPartition.Command>>
        refused =
            List.of(
                r -> new KvPartition.Get("k1", 0, r),
                r -> new KvPartition.Txn(put, r),
                r -> new KvPartition.DeleteRange("k", null, false, r),
                r -> new KvPartition.Range("", null, 0, false, false, r),
                KvPartition.Stats::new,
                r -> new KvPartition.AwaitFirst("k", "k1", true, r),
                r -> new KvPartition.Prepare("t1", put, r),
                r -> new KvPartition.Commit("t1", true, r),
                r -> new KvPartition.Abort("t1", r));
    for (var command : refused) {
      var reply = es.<KvPartition.Reply>runCommand(command::apply).reply();
      KvPartition.Rejected rejected = assertInstanceOf(KvPartition.Rejected.class, reply);
      assertEquals("keyspace_not_found", rejected.rejection().code(), reply.toString());
    }
    var keys = es.<KvPartition.Reply>runCommand(r -> new KvPartition.LeaseKeys(5, r)).reply();
    assertEquals(List.of("k0"), assertInstanceOf(KvPartition.LeaseKeysReply.class, keys).keys());
    assertInstanceOf(
        KvPartition.Done.class, es.<KvPartition.Reply>runCommand(KvPartition.Drop::new).reply());
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void assertSameKv(KeyValue expected, KeyValue actual, String context) {
    if (expected == null || actual == null) {
      assertEquals(expected, actual, context);
    } else {
      assertTrue(expected.sameAs(actual), context + ": expected " + expected + " got " + actual);
    }
  }

  @Test
  void randomOperationsMatchTheModel() {
    for (long seed = 1; seed <= 3; seed++) {
      create();
      run(new Random(seed), 200, seed);
    }
  }

  private void run(Random random, int steps, long seed) {
    Model model = new Model();
    for (int step = 0; step < steps; step++) {
      String where = "seed " + seed + " step " + step;
      int kind = random.nextInt(100);
      if (kind < 4) {
        es.restart();
        verifyAll(model, where + " after restart");
      } else if (kind < 30) {
        WriteCase w = randomWrite(random, model);
        KvPartition.Reply reply = es.<KvPartition.Reply>runCommand(w.command()::apply).reply();
        w.check().accept(reply, where);
      } else if (kind < 40) {
        List<WriteCase> cases = new ArrayList<>();
        List<TestProbe<KvPartition.Reply>> probes = new ArrayList<>();
        List<KvPartition.WriteCommand> writes = new ArrayList<>();
        int n = 2 + random.nextInt(4);
        for (int i = 0; i < n; i++) {
          WriteCase w = randomWrite(random, model);
          TestProbe<KvPartition.Reply> probe = testKit.createTestProbe();
          cases.add(w);
          probes.add(probe);
          writes.add(w.command().apply(probe.getRef()));
        }
        var result = es.<KvPartition.BatchDone>runCommand(r -> new KvPartition.Batch(writes, r));
        assertEquals(model.revision, result.reply().revision(), where + " batch revision");
        long writing = writes.size();
        assertTrue(result.events().size() <= writing, where);
        for (int i = 0; i < n; i++) {
          cases.get(i).check().accept(probes.get(i).receiveMessage(), where + " batch #" + i);
        }
      } else if (kind < 65) {
        String key = "k" + random.nextInt(8);
        var reply = es.<KvPartition.Reply>runCommand(r -> new KvPartition.Get(key, 0, r)).reply();
        KvPartition.GetReply got = assertInstanceOf(KvPartition.GetReply.class, reply, where);
        assertEquals(model.revision, got.header().revision(), where);
        assertSameKv(model.kvs.get(key), got.kv().orElse(null), where + " get " + key);
      } else {
        String key = "k" + random.nextInt(8);
        long rev = model.revision == 0 ? 0 : 1 + random.nextInt((int) model.revision);
        var reply = es.<KvPartition.Reply>runCommand(r -> new KvPartition.Get(key, rev, r)).reply();
        if (reply instanceof KvPartition.Rejected rejected) {
          assertEquals("revision_compacted", rejected.rejection().code(), where);
          assertTrue(
              rev < model.revision - SETTINGS.historyKeepRevisions() + 1,
              where + ": revision " + rev + " compacted too early (at " + model.revision + ")");
        } else {
          KvPartition.GetReply got = assertInstanceOf(KvPartition.GetReply.class, reply, where);
          assertSameKv(
              model.at(key, rev), got.kv().orElse(null), where + " get " + key + "@" + rev);
        }
      }
    }
    es.restart();
    verifyAll(model, "seed " + seed + " final restart");
  }

  private void verifyAll(Model model, String where) {
    var reply =
        es.<KvPartition.Reply>runCommand(r -> new KvPartition.Range("", null, 0, false, false, r))
            .reply();
    KvPartition.RangeReply range = assertInstanceOf(KvPartition.RangeReply.class, reply, where);
    assertEquals(model.revision, range.header().revision(), where + " revision");
    assertEquals(model.kvs.size(), range.kvs().size(), where + " key count");
    int i = 0;
    for (KeyValue expected : model.kvs.values()) {
      assertSameKv(expected, range.kvs().get(i++), where);
    }
  }

  private record WriteCase(
      java.util.function.Function<
              org.apache.pekko.actor.typed.ActorRef<KvPartition.Reply>, KvPartition.WriteCommand>
          command,
      java.util.function.BiConsumer<KvPartition.Reply, String> check) {}

  /** A random write; the model is advanced now (commands are decided in order). */
  private WriteCase randomWrite(Random random, Model model) {
    int kind = random.nextInt(100);
    if (kind < 10) {
      long lease = 1 + random.nextInt(3);
      List<String> keys =
          model.kvs.values().stream().filter(kv -> kv.lease() == lease).map(KeyValue::key).toList();
      if (!keys.isEmpty()) {
        model.revision++;
        keys.forEach(k -> model.delete(k, model.revision));
      }
      model.revoked.add(lease);
      long expectRevision = model.revision;
      return new WriteCase(
          r -> new KvPartition.RevokeLease(lease, r),
          (reply, where) -> {
            KvPartition.Done done = assertInstanceOf(KvPartition.Done.class, reply, where);
            assertEquals(expectRevision, done.header().revision(), where + " revoke");
          });
    }
    if (kind < 18) {
      String from = "k" + random.nextInt(8);
      String to = "k" + random.nextInt(9);
      List<String> keys = new ArrayList<>(PartitionStore.select(model.kvs, from, to).keySet());
      List<KeyValue> prevs = keys.stream().map(model.kvs::get).toList();
      if (!keys.isEmpty()) {
        model.revision++;
        keys.forEach(k -> model.delete(k, model.revision));
      }
      long expectRevision = model.revision;
      return new WriteCase(
          r -> new KvPartition.DeleteRange(from, to, true, r),
          (reply, where) -> {
            KvPartition.DeleteReply d =
                assertInstanceOf(KvPartition.DeleteReply.class, reply, where);
            assertEquals(keys.size(), d.deleted(), where);
            assertEquals(expectRevision, d.header().revision(), where);
            for (int i = 0; i < prevs.size(); i++) {
              assertSameKv(prevs.get(i), d.prevKvs().get(i), where);
            }
          });
    }
    if (kind < 22) {
      // invalid: oversized value or revoked lease; must change nothing
      boolean tooLarge = model.revoked.isEmpty() || random.nextBoolean();
      long lease = tooLarge ? 0 : model.revoked.iterator().next();
      byte[] value = tooLarge ? new byte[65] : b("v");
      TxnRequest txn =
          new TxnRequest(
              List.of(),
              List.of(
                  new TxnOp.Put("k1", b("ok"), PutOptions.NONE),
                  new TxnOp.Put("k2", value, PutOptions.withLease(lease))),
              List.of());
      return new WriteCase(
          r -> new KvPartition.Txn(txn, r),
          (reply, where) -> {
            KvPartition.Rejected rejected =
                assertInstanceOf(KvPartition.Rejected.class, reply, where);
            assertEquals(
                tooLarge ? "value_too_large" : "lease_not_found", rejected.rejection().code());
          });
    }
    // a transaction: compares on the model's current values, ops sequential
    String ck = "k" + random.nextInt(8);
    KeyValue current = model.kvs.get(ck);
    Compare.Op op = Compare.Op.values()[random.nextInt(4)];
    Compare compare =
        switch (random.nextInt(5)) {
          case 0 ->
              Compare.value(
                  ck,
                  op,
                  current != null && random.nextBoolean()
                      ? current.value()
                      : b("x" + random.nextInt(3)));
          case 1 ->
              Compare.version(
                  ck,
                  op,
                  current == null ? random.nextInt(2) : current.version() + random.nextInt(3) - 1);
          case 2 -> Compare.createRevision(ck, op, current == null ? 0 : current.createRevision());
          case 3 ->
              Compare.modRevision(
                  ck, op, current == null ? 0 : current.modRevision() + random.nextInt(3) - 1);
          default -> Compare.lease(ck, op, random.nextInt(3));
        };
    List<Compare> compares = random.nextInt(3) == 0 ? List.of() : List.of(compare);
    List<TxnOp> success = randomOps(random);
    List<TxnOp> failure = randomOps(random);
    boolean succeeded = compares.stream().allMatch(c -> c.holds(model.kvs.get(c.key())));
    List<TxnOp> branch = succeeded ? success : failure;
    TreeMap<String, KeyValue> before = new TreeMap<>(model.kvs);
    boolean writes = false;
    List<TxnOpResult> expected = new ArrayList<>();
    long rev = model.revision + 1;
    for (TxnOp o : branch) {
      switch (o) {
        case TxnOp.Put put -> {
          KeyValue prev = model.kvs.get(put.key());
          long lease = put.options().lease();
          model.put(
              new KeyValue(
                  put.key(),
                  put.value(),
                  prev == null ? rev : prev.createRevision(),
                  rev,
                  prev == null ? 1 : prev.version() + 1,
                  lease));
          writes = true;
          expected.add(
              new TxnOpResult.Put(
                  put.options().prevKv() ? Optional.ofNullable(prev) : Optional.empty()));
        }
        case TxnOp.Get get ->
            expected.add(new TxnOpResult.Get(Optional.ofNullable(model.kvs.get(get.key()))));
        case TxnOp.Delete delete -> {
          KeyValue prev = model.kvs.get(delete.key());
          if (prev != null) {
            model.delete(delete.key(), rev);
            writes = true;
          }
          expected.add(
              new TxnOpResult.Delete(
                  prev == null ? 0 : 1,
                  delete.prevKv() && prev != null ? List.of(prev) : List.of()));
        }
        case TxnOp.Txn nested ->
            throw new AssertionError("randomOps makes no nested transactions (KvNestedTxnTest)");
        case TxnOp.DeleteRange range ->
            throw new AssertionError("randomOps deletes no intervals (KvNestedTxnTest)");
      }
    }
    boolean rejectedLease =
        branch.stream()
            .anyMatch(o -> o instanceof TxnOp.Put p && model.revoked.contains(p.options().lease()));
    boolean rejected =
        rejectedLease
            || success.stream()
                .anyMatch(
                    o -> o instanceof TxnOp.Put p && model.revoked.contains(p.options().lease()))
            || failure.stream()
                .anyMatch(
                    o -> o instanceof TxnOp.Put p && model.revoked.contains(p.options().lease()));
    if (rejected) {
      // undo: a rejected transaction changes nothing
      model.kvs.clear();
      model.kvs.putAll(before);
      while (!model.history.isEmpty() && (long) model.history.getLast()[0] == rev) {
        model.history.removeLast();
      }
    } else if (writes) {
      model.revision = rev;
    }
    long expectRevision = model.revision;
    TxnRequest txn = new TxnRequest(compares, success, failure);
    return new WriteCase(
        r -> new KvPartition.Txn(txn, r),
        (reply, where) -> {
          if (rejected) {
            KvPartition.Rejected r = assertInstanceOf(KvPartition.Rejected.class, reply, where);
            assertEquals("lease_not_found", r.rejection().code(), where);
            return;
          }
          KvPartition.TxnReply t =
              assertInstanceOf(KvPartition.TxnReply.class, reply, where + " " + txn);
          assertEquals(succeeded, t.result().succeeded(), where + " succeeded");
          assertEquals(expectRevision, t.result().header().revision(), where + " revision");
          assertEquals(expected.size(), t.result().responses().size(), where);
          for (int i = 0; i < expected.size(); i++) {
            assertSameResult(expected.get(i), t.result().responses().get(i), where + " op " + i);
          }
        });
  }

  private static void assertSameResult(TxnOpResult expected, TxnOpResult actual, String where) {
    switch (expected) {
      case TxnOpResult.Put p ->
          assertSameKv(
              p.prevKv().orElse(null),
              assertInstanceOf(TxnOpResult.Put.class, actual, where).prevKv().orElse(null),
              where);
      case TxnOpResult.Get g ->
          assertSameKv(
              g.kv().orElse(null),
              assertInstanceOf(TxnOpResult.Get.class, actual, where).kv().orElse(null),
              where);
      case TxnOpResult.Delete d -> {
        TxnOpResult.Delete a = assertInstanceOf(TxnOpResult.Delete.class, actual, where);
        assertEquals(d.deleted(), a.deleted(), where);
        assertEquals(d.prevKvs().size(), a.prevKvs().size(), where);
      }
      case TxnOpResult.Txn t -> {
        TxnOpResult.Txn a = assertInstanceOf(TxnOpResult.Txn.class, actual, where);
        assertEquals(t.succeeded(), a.succeeded(), where);
        assertEquals(t.responses().size(), a.responses().size(), where);
        for (int i = 0; i < t.responses().size(); i++) {
          assertSameResult(t.responses().get(i), a.responses().get(i), where);
        }
      }
    }
  }

  private static List<TxnOp> randomOps(Random random) {
    List<TxnOp> ops = new ArrayList<>();
    Set<String> written = new HashSet<>();
    int n = random.nextInt(4);
    for (int i = 0; i < n; i++) {
      String key = "k" + random.nextInt(8);
      switch (random.nextInt(3)) {
        case 0 -> {
          if (written.add(key)) {
            long lease = random.nextInt(5) == 0 ? 1 + random.nextInt(3) : 0;
            ops.add(
                new TxnOp.Put(
                    key,
                    b("v" + random.nextInt(1000)),
                    new PutOptions(lease, random.nextBoolean(), false)));
          }
        }
        case 1 -> ops.add(new TxnOp.Get(key));
        default -> {
          if (written.add(key)) {
            ops.add(new TxnOp.Delete(key, random.nextBoolean()));
          }
        }
      }
    }
    return ops;
  }
}
