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
 * (most), {@code one} or {@code all}, and read some back at {@code one}. After healing, every
 * node's replica is read at {@code one} until all agree or {@link #convergeDeadline} passes; then
 * {@link ApConvergenceChecker} judges. Unique keys make "lost" checkable under last-writer-wins.
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
    long[] next = new long[clients];
    Clients.run(name(), clients, stop, g.requestTimeout().multipliedBy(2).plusSeconds(5), client -> {
      URI node = ChaosHttp.any(g);
      int dice = ThreadLocalRandom.current().nextInt(10);
      if (dice == 0 && next[client] > 0) {
        String key = PREFIX + client + "/" + ThreadLocalRandom.current().nextLong(next[client]);
        long invoke = System.nanoTime();
        Reply r = ChaosHttp.get(g, node, KvCalls.keyPath(KEYSPACE, key) + "?consistency=one");
        history.record(client, key, "read", null, "one", KvCalls.isRead(r) ? KvCalls.value(r) : r.describe(), invoke,
            KvCalls.isRead(r) ? Outcome.OK : r.answered() && r.status() < 500 ? Outcome.FAIL : Outcome.INDETERMINATE);
        return;
      }
      String consistency = dice <= 6 ? "quorum" : dice <= 8 ? "one" : "all";
      long n = next[client]++;
      String key = PREFIX + client + "/" + n;
      String value = "v" + client + "-" + n;
      long invoke = System.nanoTime();
      Reply r = ChaosHttp.put(g, node, KvCalls.keyPath(KEYSPACE, key) + "?consistency=" + consistency,
          ChaosHttp.object().put("value", value));
      history.record(client, key, "put", value, consistency, r.ok() ? null : r.describe(), invoke,
          ChaosHttp.writeOutcome(r, Set.of()));
    });
  }

  @Override
  public CheckResult check(Gateways g) throws Exception {
    long start = System.nanoTime();
    long deadline = start + convergeDeadline.toNanos();
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
    figuresFromConvergence.put("converge_s", String.format("%.1f", (System.nanoTime() - start) / 1e9));
    figuresFromConvergence.put("converge_rounds", Integer.toString(rounds));
    return verdict(history.snapshot(), replicas, figuresFromConvergence);
  }

  static CheckResult verdict(List<Op> ops, List<Map<String, String>> replicas, Map<String, String> extra) {
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
