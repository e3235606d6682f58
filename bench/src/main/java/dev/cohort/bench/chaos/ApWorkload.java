package dev.cohort.bench.chaos;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * AP keyspace {@code chaos_ap}: clients write unique keys {@code a/<client>/<n>} at {@code quorum}
 * (most), {@code one} or {@code all}, and read some back at {@code one}. A watcher polls every
 * node's view of the cluster; the first time a node sees a majority of the others unreachable (a
 * partition's minority), it probes that node and one node of the majority with {@link ApProbe}:
 * {@code quorum} must succeed on the majority and answer 503 {@code consistency_unavailable} on the
 * minority, {@code one} must succeed on both (a minority already downed by the split-brain resolver
 * cannot answer; that is recorded, not judged). After healing, an anti-entropy repair runs through
 * every node, then every node's range at {@code one} is read until all agree or {@link
 * #convergeDeadline} passes, and {@link ApConvergenceChecker} judges (a range merges the live
 * nodes' stores, so after repair it is each node's view of the converged keyspace). Unique keys
 * make "lost" checkable under last-writer-wins.
 *
 * <p>A write answered 503 {@code consistency_unavailable} is INDETERMINATE, not a failure: the AP
 * README says it was applied on the contacted node's replica and is not rolled back, so it may
 * appear everywhere after healing. Only 4xx refusals are definite.
 */
public final class ApWorkload implements ChaosWorkload {
  static final String KEYSPACE = "chaos_ap";
  static final String PREFIX = "a/";

  private final History history = new History();
  private final Duration convergeDeadline;
  private final Map<String, String> figuresFromConvergence = new LinkedHashMap<>();
  private final List<String> probeViolations = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile boolean probed;

  public ApWorkload() {
    this(Duration.ofSeconds(120));
  }

  public ApWorkload(Duration convergeDeadline) {
    this.convergeDeadline = convergeDeadline;
  }

  @Override
  public String name() {
    return "ap";
  }

  @Override
  public void setUp(Gateways g) throws Exception {
    KvCalls.createKeyspace(g, KEYSPACE, "ap", 0);
  }

  @Override
  public void run(Gateways g, BooleanSupplier stop, int clients) throws Exception {
    Thread watcher =
        Thread.ofPlatform().name("chaos-ap-probe").start(() -> watchForPartition(g, stop));
    try {
      write(g, stop, clients);
    } finally {
      watcher.join(Duration.ofSeconds(30));
    }
  }

  /** Polls each node's view of the cluster; probes both sides once, when a minority appears. */
  private void watchForPartition(Gateways g, BooleanSupplier stop) {
    while (!stop.getAsBoolean() && !probed) {
      URI minority = null;
      URI majority = null;
      for (URI node : g.nodes()) {
        Reply r = ChaosHttp.get(g, node, "/v1/cluster");
        if (!r.ok()) {
          continue;
        }
        long unreachable = 0;
        for (var m : r.body().path("members")) {
          unreachable += m.path("reachable").asBoolean(true) ? 0 : 1;
        }
        if (unreachable > 0 && unreachable * 2 >= g.nodes().size()) {
          minority = node;
        } else if (unreachable > 0) {
          majority = node;
        }
      }
      if (minority != null && majority != null) {
        probe(g, minority, majority);
        probed = true;
      }
      try {
        Clients.pause(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void probe(Gateways g, URI minority, URI majority) {
    ApProbe.Result minorityOne = ApProbe.probe(g, minority, "one");
    ApProbe.Result minorityQuorum = ApProbe.probe(g, minority, "quorum");
    ApProbe.Result majorityQuorum = ApProbe.probe(g, majority, "quorum");
    ApProbe.Result majorityOne = ApProbe.probe(g, majority, "one");
    figuresFromConvergence.put(
        "probe_minority",
        minorityOne.writeStatus()
            + "/"
            + minorityQuorum.writeStatus()
            + (minorityQuorum.writeCode() == null ? "" : ":" + minorityQuorum.writeCode()));
    figuresFromConvergence.put(
        "probe_majority", majorityOne.writeStatus() + "/" + majorityQuorum.writeStatus());
    if (!majorityQuorum.writeOk() || !majorityQuorum.readOk()) {
      probeViolations.add("quorum failed on the majority side: " + majorityQuorum);
    }
    if (!majorityOne.writeOk()) {
      probeViolations.add("one failed on the majority side: " + majorityOne);
    }
    if (minorityOne.writeStatus() != 0 && !minorityOne.writeOk()) {
      probeViolations.add("one failed on the minority side before it was downed: " + minorityOne);
    }
    if (minorityQuorum.writeOk()
        || minorityQuorum.writeStatus() != 0 && !minorityQuorum.consistencyUnavailable()) {
      probeViolations.add(
          "quorum on the minority side did not answer consistency_unavailable: " + minorityQuorum);
    }
  }

  private void write(Gateways g, BooleanSupplier stop, int clients) throws Exception {
    long[] next = new long[clients];
    Clients.run(
        name(),
        clients,
        stop,
        g.requestTimeout().multipliedBy(2).plusSeconds(5),
        client -> {
          URI node = ChaosHttp.any(g);
          int dice = ThreadLocalRandom.current().nextInt(10);
          if (dice == 0 && next[client] > 0) {
            String key = PREFIX + client + "/" + ThreadLocalRandom.current().nextLong(next[client]);
            long invoke = System.nanoTime();
            Reply r = ChaosHttp.get(g, node, KvCalls.keyPath(KEYSPACE, key) + "?consistency=one");
            history.record(
                client,
                key,
                "read",
                null,
                "one",
                KvCalls.isRead(r) ? KvCalls.value(r) : r.describe(),
                invoke,
                KvCalls.isRead(r)
                    ? Outcome.OK
                    : r.answered() && r.status() < 500 ? Outcome.FAIL : Outcome.INDETERMINATE);
            return;
          }
          String consistency = dice <= 6 ? "quorum" : dice <= 8 ? "one" : "all";
          long n = next[client]++;
          String key = PREFIX + client + "/" + n;
          String value = "v" + client + "-" + n;
          long invoke = System.nanoTime();
          Reply r =
              ChaosHttp.put(
                  g,
                  node,
                  KvCalls.keyPath(KEYSPACE, key) + "?consistency=" + consistency,
                  ChaosHttp.object().put("value", value));
          history.record(
              client,
              key,
              "put",
              value,
              consistency,
              r.ok() ? null : r.describe(),
              invoke,
              ChaosHttp.writeOutcome(r, Set.of()));
        });
  }

  @Override
  public CheckResult check(Gateways g) throws Exception {
    long start = System.nanoTime();
    long deadline = start + convergeDeadline.toNanos();
    for (URI node : g.nodes()) {
      SetUp.until(
          "repair " + KEYSPACE + " through " + node,
          SetUp.DEADLINE,
          () -> ChaosHttp.post(g, node, "/v1/kv/" + KEYSPACE + "/repair", null),
          Reply::ok);
    }
    List<Map<String, String>> replicas;
    int rounds = 0;
    while (true) {
      rounds++;
      replicas = new ArrayList<>();
      for (URI node : g.nodes()) {
        replicas.add(KvCalls.scan(g, node, KEYSPACE, PREFIX, "one"));
      }
      Map<String, String> first = replicas.get(0);
      if (replicas.stream().allMatch(first::equals) || System.nanoTime() > deadline) {
        break;
      }
      Clients.pause(1_000);
    }
    figuresFromConvergence.put(
        "converge_s", String.format("%.1f", (System.nanoTime() - start) / 1e9));
    figuresFromConvergence.put("converge_rounds", Integer.toString(rounds));
    CheckResult verdict = verdict(history.snapshot(), replicas, figuresFromConvergence);
    if (probeViolations.isEmpty()) {
      return verdict;
    }
    List<String> violations = new ArrayList<>(probeViolations);
    violations.addAll(verdict.violations());
    return CheckResult.of("ap", history.snapshot(), false, verdict.figures(), violations);
  }

  static CheckResult verdict(
      List<Op> ops, List<Map<String, String>> replicas, Map<String, String> extra) {
    List<String> violations = new ArrayList<>();
    ApConvergenceChecker.Counts c = ApConvergenceChecker.check(ops, replicas, violations);
    Map<String, String> figures = new LinkedHashMap<>();
    figures.put("converged", Boolean.toString(c.diverged() == 0));
    figures.put("diverged", Long.toString(c.diverged()));
    figures.put("lost", Long.toString(c.lost()));
    figures.put("lost_one", Long.toString(c.lostOne()));
    figures.put("failed_present", Long.toString(c.failedPresent()));
    figures.put("keys", Integer.toString(replicas.isEmpty() ? 0 : replicas.get(0).size()));
    figures.putAll(extra);
    boolean valid = c.diverged() == 0 && c.lost() == 0 && c.failedPresent() == 0;
    return CheckResult.of("ap", ops, valid, figures, UniquePutWorkload.truncate(violations));
  }

  @Override
  public List<Op> history() {
    return history.snapshot();
  }
}
