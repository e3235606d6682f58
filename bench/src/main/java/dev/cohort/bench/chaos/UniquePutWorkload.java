package dev.cohort.bench.chaos;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Unique puts: client {@code c} puts {@code u/<c>/<n>} = {@code v<c>-<n>} into the CP keyspace
 * {@code chaos_unique}, each key once. After healing every acknowledged put must be readable with
 * its value ({@code lost}); an indeterminate put may or may not be there; a put refused with a
 * definite error must not be there ({@code failed_present}: the error lied).
 */
public final class UniquePutWorkload implements ChaosWorkload {
  static final String KEYSPACE = "chaos_unique";
  static final String PREFIX = "u/";

  private final History history = new History();

  /** The keyspace of this run: {@link #KEYSPACE} plus the run's suffix. */
  private final String keyspace;

  public UniquePutWorkload() {
    this("");
  }

  /** Names its keyspace {@code chaos_unique<suffix>}, so that each run starts empty. */
  public UniquePutWorkload(String suffix) {
    this.keyspace = KEYSPACE + suffix;
  }

  @Override
  public String name() {
    return "unique-put";
  }

  @Override
  public void setUp(Gateways g) throws Exception {
    KvCalls.createKeyspace(g, keyspace, "cp", 16);
  }

  @Override
  public void run(Gateways g, BooleanSupplier stop, int clients) throws Exception {
    long[] next = new long[clients];
    Clients.run(
        name(),
        clients,
        stop,
        g.requestTimeout().multipliedBy(2).plusSeconds(5),
        client -> {
          long n = next[client]++;
          String key = PREFIX + client + "/" + n;
          String value = "v" + client + "-" + n;
          URI node = ChaosHttp.any(g);
          long invoke = System.nanoTime();
          Reply r = KvCalls.put(g, node, keyspace, key, value);
          Outcome outcome = ChaosHttp.writeOutcome(r, KvCalls.CP_DEFINITE_503);
          history.record(
              client, key, "put", value, null, r.ok() ? null : r.describe(), invoke, outcome);
        });
  }

  @Override
  public CheckResult check(Gateways g) throws Exception {
    Map<String, String> present = KvCalls.scan(g, keyspace, PREFIX, null);
    List<Op> ops = history.snapshot();
    // A key the range did not show is read directly before calling it lost: the range and the
    // point read are different paths, and the verdict should not hang on one of them.
    for (Op op : ops) {
      if (op.ok() && !present.containsKey(op.key())) {
        Reply r =
            SetUp.until(
                "read " + op.key(),
                SetUp.DEADLINE,
                () -> KvCalls.get(g, ChaosHttp.any(g), keyspace, op.key()),
                KvCalls::isRead);
        String value = KvCalls.value(r);
        if (value != null) {
          present.put(op.key(), value);
        }
      }
    }
    return verdict(ops, present);
  }

  /** The checker: {@code present} is every key found at the end with its value. */
  static CheckResult verdict(List<Op> ops, Map<String, String> present) {
    List<String> violations = new ArrayList<>();
    long lost = 0;
    long wrong = 0;
    long failedPresent = 0;
    long indeterminatePresent = 0;
    long acked = 0;
    java.util.Set<String> attempted = new java.util.HashSet<>();
    for (Op op : ops) {
      if (!op.f().equals("put")) {
        continue;
      }
      attempted.add(op.key());
      String found = present.get(op.key());
      switch (op.outcome()) {
        case OK -> {
          acked++;
          if (found == null) {
            lost++;
            violations.add("lost: acknowledged put " + op.key() + "=" + op.value() + " is absent");
          } else if (!found.equals(op.value())) {
            wrong++;
            violations.add(
                "wrong value: "
                    + op.key()
                    + " holds '"
                    + found
                    + "', acknowledged '"
                    + op.value()
                    + "'");
          }
        }
        case FAIL -> {
          if (found != null) {
            failedPresent++;
            violations.add(
                "failed_present: put "
                    + op.key()
                    + " answered "
                    + op.observed()
                    + " (a definite failure) but the key is there");
          }
        }
        case INDETERMINATE -> indeterminatePresent += found != null ? 1 : 0;
      }
    }
    long unexpected = present.keySet().stream().filter(k -> !attempted.contains(k)).count();
    if (unexpected > 0) {
      violations.add("unexpected: " + unexpected + " keys present that no client put");
    }
    Map<String, String> figures = new LinkedHashMap<>();
    figures.put("acknowledged", Long.toString(acked));
    figures.put("lost", Long.toString(lost));
    figures.put("wrong_value", Long.toString(wrong));
    figures.put("failed_present", Long.toString(failedPresent));
    figures.put("indeterminate_present", Long.toString(indeterminatePresent));
    figures.put("unexpected", Long.toString(unexpected));
    return CheckResult.of("unique-put", ops, violations.isEmpty(), figures, truncate(violations));
  }

  /** Violations beyond the first 50 are counted, not listed (figures carry the totals). */
  static List<String> truncate(List<String> violations) {
    if (violations.size() <= 50) {
      return violations;
    }
    List<String> first = new ArrayList<>(violations.subList(0, 50));
    first.add("… and " + (violations.size() - 50) + " more");
    return first;
  }

  @Override
  public List<Op> history() {
    return history.snapshot();
  }
}
