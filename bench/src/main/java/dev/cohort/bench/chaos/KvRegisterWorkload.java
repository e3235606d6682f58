package dev.cohort.bench.chaos;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BooleanSupplier;

/**
 * CP registers: clients read, write and compare-and-swap a handful of keys of the CP keyspace
 * {@code chaos_reg} through random gateways; every key's history must be linearizable.
 *
 * <p>Keys rotate: slot {@code s} is {@code r<s>/<generation>}, and a slot moves to its next
 * generation after {@code opsPerKey} operations, so that each key's history stays short enough for
 * the Wing–Gong search (its cost grows with the indeterminate operations pending at once). Written
 * values are unique ({@code c<client>-<n>}), so a read names the write it saw.
 */
public final class KvRegisterWorkload implements ChaosWorkload {
  static final String KEYSPACE = "chaos_reg";

  private final int slots;
  private final int opsPerKey;
  private final long maxStatesPerKey;
  private final History history = new History();
  private final AtomicLongArray slotOps;
  private final Set<String> keysUsed = ConcurrentHashMap.newKeySet();

  /** The keyspace of this run: {@link #KEYSPACE} plus the run's suffix. */
  private final String keyspace;

  public KvRegisterWorkload() {
    this("");
  }

  /** Names its keyspace {@code chaos_reg<suffix>}, so that each run starts from empty registers. */
  public KvRegisterWorkload(String suffix) {
    this(suffix, 8, 120, 500_000);
  }

  public KvRegisterWorkload(int slots, int opsPerKey, long maxStatesPerKey) {
    this("", slots, opsPerKey, maxStatesPerKey);
  }

  public KvRegisterWorkload(String suffix, int slots, int opsPerKey, long maxStatesPerKey) {
    this.keyspace = KEYSPACE + suffix;
    this.slots = slots;
    this.opsPerKey = opsPerKey;
    this.maxStatesPerKey = maxStatesPerKey;
    this.slotOps = new AtomicLongArray(slots);
  }

  @Override
  public String name() {
    return "kv-register";
  }

  @Override
  public void setUp(Gateways g) throws Exception {
    KvCalls.createKeyspace(g, keyspace, "cp", 16);
  }

  @Override
  public void run(Gateways g, BooleanSupplier stop, int clients) throws Exception {
    List<Map<String, String>> lastSeen = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      lastSeen.add(new HashMap<>());
    }
    long[] counters = new long[clients];
    Clients.run(
        name(),
        clients,
        stop,
        g.requestTimeout().multipliedBy(2).plusSeconds(5),
        client -> {
          int slot = ThreadLocalRandom.current().nextInt(slots);
          String key = "r" + slot + "/" + slotOps.getAndIncrement(slot) / opsPerKey;
          keysUsed.add(key);
          URI node = ChaosHttp.any(g);
          Map<String, String> seen = lastSeen.get(client);
          int dice = ThreadLocalRandom.current().nextInt(4);
          if (dice < 2) {
            read(g, node, client, key, seen);
          } else {
            String value = "c" + client + "-" + counters[client]++;
            if (dice == 2) {
              write(g, node, client, key, value, seen);
            } else {
              cas(g, node, client, key, seen.get(key), value, seen);
            }
          }
        });
  }

  private Op read(Gateways g, URI node, int client, String key, Map<String, String> seen) {
    long invoke = System.nanoTime();
    Reply r = KvCalls.get(g, node, keyspace, key);
    if (KvCalls.isRead(r)) {
      String value = KvCalls.value(r);
      if (seen != null) {
        seen.put(key, value);
      }
      return history.record(client, key, "read", null, null, value, invoke, Outcome.OK);
    }
    Outcome outcome = r.answered() && r.status() < 500 ? Outcome.FAIL : Outcome.INDETERMINATE;
    return history.record(client, key, "read", null, null, r.describe(), invoke, outcome);
  }

  private void write(
      Gateways g, URI node, int client, String key, String value, Map<String, String> seen) {
    long invoke = System.nanoTime();
    Reply r = KvCalls.put(g, node, keyspace, key, value);
    Outcome outcome = ChaosHttp.writeOutcome(r, KvCalls.CP_DEFINITE_503);
    if (outcome == Outcome.OK) {
      seen.put(key, value);
    }
    history.record(
        client, key, "write", value, null, r.ok() ? null : r.describe(), invoke, outcome);
  }

  private void cas(
      Gateways g,
      URI node,
      int client,
      String key,
      String expected,
      String value,
      Map<String, String> seen) {
    ObjectNode txn = KvCalls.cas(key, expected, value);
    long invoke = System.nanoTime();
    Reply r = ChaosHttp.post(g, node, "/v1/kv/" + keyspace + "/txn", txn);
    Outcome outcome = ChaosHttp.writeOutcome(r, KvCalls.CP_DEFINITE_503);
    String observed;
    if (outcome == Outcome.OK) {
      boolean succeeded = r.body().path("succeeded").asBoolean(false);
      observed = Boolean.toString(succeeded);
      if (succeeded) {
        seen.put(key, value);
      } else {
        seen.remove(key); // unknown now: the next cas compares with "absent" until a read
      }
    } else {
      observed = r.describe();
    }
    history.record(client, key, "cas", value, expected, observed, invoke, outcome);
  }

  @Override
  public CheckResult check(Gateways g) throws Exception {
    // One final read per key after healing: a write acknowledged and then lost shows up here even
    // when no client read the key again during the run.
    for (String key : new TreeSet<>(keysUsed)) {
      long deadline = System.nanoTime() + SetUp.DEADLINE.toNanos();
      while (!read(g, ChaosHttp.any(g), -1, key, null).ok() && System.nanoTime() < deadline) {
        Clients.pause(200);
      }
    }
    return verdict(history.snapshot(), maxStatesPerKey);
  }

  /** The checker over a recorded history (also used by tests). */
  static CheckResult verdict(List<Op> ops, long maxStatesPerKey) {
    Map<String, LinearizabilityChecker.Result> results =
        LinearizabilityChecker.checkAll(ops, maxStatesPerKey);
    List<String> violations = new ArrayList<>();
    int bad = 0;
    int unknown = 0;
    long states = 0;
    for (LinearizabilityChecker.Result r : results.values()) {
      states = Math.max(states, r.statesExplored());
      if (r.verdict() == LinearizabilityChecker.Verdict.NOT_LINEARIZABLE) {
        bad++;
        violations.add("key " + r.key() + " is not linearizable: " + r.detail());
      } else if (r.verdict() == LinearizabilityChecker.Verdict.UNKNOWN) {
        unknown++;
      }
    }
    Map<String, String> figures = new LinkedHashMap<>();
    figures.put("linearizable", bad > 0 ? "false" : unknown > 0 ? "unknown" : "true");
    figures.put("keys", Integer.toString(results.size()));
    figures.put("keys_not_linearizable", Integer.toString(bad));
    figures.put("keys_unknown", Integer.toString(unknown));
    figures.put("max_states", Long.toString(states));
    return CheckResult.of("kv-register", ops, bad == 0, figures, violations);
  }

  @Override
  public List<Op> history() {
    return history.snapshot();
  }
}
