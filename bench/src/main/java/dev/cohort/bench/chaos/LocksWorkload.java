package dev.cohort.bench.chaos;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Locks with fencing: each client acquires {@code chaos_lock} ({@code POST /v1/locks/{name}}),
 * makes a few fenced writes — a transaction in the lock keyspace that puts {@link #FENCED_KEY} only
 * while the client's lock key still exists with its create revision (the fencing token) — and
 * releases. The fenced key carries the lock's hash tag, so the guard and the write are one
 * single-partition transaction. See {@link FencingChecker} for what must hold.
 */
public final class LocksWorkload implements ChaosWorkload {
  static final String LOCK = "chaos_lock";
  static final String FENCED_KEY = "{" + LOCK + "}/fenced";

  /** The kv keyspace locks live in ({@code cohort.kv.locks.keyspace}, default {@code default}). */
  private final String locksKeyspace;

  private final History history = new History();
  private final int ttlSeconds;

  public LocksWorkload() {
    this("default", 3);
  }

  public LocksWorkload(String locksKeyspace, int ttlSeconds) {
    this.locksKeyspace = locksKeyspace;
    this.ttlSeconds = ttlSeconds;
  }

  @Override
  public String name() {
    return "locks";
  }

  @Override
  public void setUp(Gateways g) throws Exception {
    // Nothing to create: the lock keyspace exists; wait until the lock service answers at all.
    SetUp.until(
        "kv answers",
        SetUp.DEADLINE,
        () -> KvCalls.get(g, ChaosHttp.any(g), locksKeyspace, FENCED_KEY),
        KvCalls::isRead);
  }

  @Override
  public void run(Gateways g, BooleanSupplier stop, int clients) throws Exception {
    long waitMs = Math.max(100, Math.min(2_000, g.requestTimeout().toMillis() / 2));
    long[] counters = new long[clients];
    Clients.run(
        name(),
        clients,
        stop,
        g.requestTimeout().multipliedBy(6).plusSeconds(5),
        client -> {
          URI node = ChaosHttp.any(g);
          long invoke = System.nanoTime();
          Reply lock =
              ChaosHttp.post(
                  g,
                  node,
                  "/v1/locks/" + LOCK,
                  ChaosHttp.object().put("ttlSeconds", ttlSeconds).put("waitMs", waitMs));
          Outcome acquired = ChaosHttp.writeOutcome(lock, KvCalls.CP_DEFINITE_503);
          if (acquired != Outcome.OK) {
            // An unknown acquisition holds the lock until its lease expires (ttl): nobody releases
            // it.
            history.record(client, LOCK, "acquire", null, null, lock.describe(), invoke, acquired);
            Clients.pause(50);
            return;
          }
          String key = lock.body().path("key").asText();
          long token = lock.body().path("fencingToken").asLong();
          history.record(
              client, LOCK, "acquire", key, Long.toString(token), null, invoke, Outcome.OK);
          int writes = 1 + (int) (counters[client] % 3);
          for (int i = 0; i < writes && !stop.getAsBoolean(); i++) {
            fencedWrite(g, ChaosHttp.any(g), client, key, token, counters[client]++);
          }
          long releaseInvoke = System.nanoTime();
          Reply release =
              ChaosHttp.delete(
                  g, ChaosHttp.any(g), "/v1/locks/" + LOCK + "/" + ChaosHttp.pathKey(key));
          history.record(
              client,
              LOCK,
              "release",
              key,
              Long.toString(token),
              release.ok() ? null : release.describe(),
              releaseInvoke,
              ChaosHttp.writeOutcome(release, KvCalls.CP_DEFINITE_503));
        });
  }

  private void fencedWrite(Gateways g, URI node, int client, String lockKey, long token, long n) {
    String value = token + ":" + client + ":" + n;
    ObjectNode txn = ChaosHttp.object();
    txn.putArray("compare")
        .addObject()
        .put("key", lockKey)
        .put("target", "createRevision")
        .put("op", "=")
        .put("value", token);
    txn.putArray("success").addObject().putObject("put").put("key", FENCED_KEY).put("value", value);
    txn.putArray("failure");
    long invoke = System.nanoTime();
    Reply r = ChaosHttp.post(g, node, "/v1/kv/" + locksKeyspace + "/txn", txn);
    Outcome outcome = ChaosHttp.writeOutcome(r, KvCalls.CP_DEFINITE_503);
    String observed =
        outcome == Outcome.OK
            ? Boolean.toString(r.body().path("succeeded").asBoolean())
            : r.describe();
    history.record(
        client, LOCK, "fenced-write", value, Long.toString(token), observed, invoke, outcome);
  }

  @Override
  public CheckResult check(Gateways g) throws Exception {
    Reply last =
        SetUp.until(
            "read " + FENCED_KEY,
            SetUp.DEADLINE,
            () -> KvCalls.get(g, ChaosHttp.any(g), locksKeyspace, FENCED_KEY),
            KvCalls::isRead);
    String value = KvCalls.value(last);
    long finalToken = value == null ? -1 : Long.parseLong(value.substring(0, value.indexOf(':')));
    return verdict(history.snapshot(), finalToken);
  }

  static CheckResult verdict(List<Op> ops, long finalToken) {
    List<String> violations = new ArrayList<>();
    FencingChecker.Counts c = FencingChecker.check(ops, finalToken, violations);
    Map<String, String> figures = new LinkedHashMap<>();
    figures.put("fenced_writes", Long.toString(c.writes()));
    figures.put("holders", Long.toString(c.holders()));
    figures.put("tokens_decreasing", Long.toString(c.tokensDecreasing()));
    figures.put("interleaved", Long.toString(c.interleaved()));
    figures.put("lost", Long.toString(c.lost()));
    figures.put(
        "fenced_refused",
        Long.toString(
            ops.stream()
                .filter(o -> o.f().equals("fenced-write") && o.ok() && "false".equals(o.observed()))
                .count()));
    boolean valid = c.tokensDecreasing() == 0 && c.interleaved() == 0 && c.lost() == 0;
    return CheckResult.of("locks", ops, valid, figures, UniquePutWorkload.truncate(violations));
  }

  @Override
  public List<Op> history() {
    return history.snapshot();
  }
}
