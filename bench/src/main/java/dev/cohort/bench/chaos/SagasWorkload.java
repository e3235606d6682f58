package dev.cohort.bench.chaos;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * Sagas with http steps against a {@link SagaParticipant} inside the harness. The definition {@code
 * chaos_saga} has three steps — {@code reserve} and {@code charge} with compensations, and {@code
 * confirm}, which fails for good (422) in sagas started with {@code fail=true} (a quarter of them),
 * so that compensation runs. Clients start sagas with unique ids; a start without an answer is
 * repeated with the same id (the gateway starts an id at most once). After healing, {@link #check}
 * waits up to {@link #finishDeadline} for every saga to end, then judges the participant's effects
 * with {@link SagaChecker}.
 */
public final class SagasWorkload implements ChaosWorkload {
  static final String DEFINITION = "chaos_saga";
  static final List<String> COMPENSABLE = List.of("reserve", "charge");
  static final String LAST = "confirm";

  private final History history = new History();

  /**
   * Part of every saga id, so that runs on one cluster never reuse an id (a reused id never runs).
   */
  private final String instance = Long.toString(System.nanoTime(), 36);

  private final Duration finishDeadline;
  private final double participantFailures;
  private final long startPauseMillis;
  private SagaParticipant participant;

  public SagasWorkload() {
    this(Duration.ofSeconds(120), 0.1, 100);
  }

  public SagasWorkload(Duration finishDeadline, double participantFailures, long startPauseMillis) {
    this.finishDeadline = finishDeadline;
    this.participantFailures = participantFailures;
    this.startPauseMillis = startPauseMillis;
  }

  @Override
  public String name() {
    return "sagas";
  }

  @Override
  public void setUp(Gateways g) throws Exception {
    participant = new SagaParticipant(participantFailures);
    String definition = definition(participant.uri()).toString();
    SetUp.until(
        "define saga " + DEFINITION,
        SetUp.DEADLINE,
        () -> ChaosHttp.put(g, ChaosHttp.any(g), "/v1/sagas/definitions/" + DEFINITION, definition),
        Reply::ok);
  }

  /** The saga definition (README: http steps, retry, compensationRetry, timeoutMs, deadlineMs). */
  static ObjectNode definition(URI participant) {
    ObjectNode d = ChaosHttp.object();
    ArrayNode steps = d.putArray("steps");
    for (String step : COMPENSABLE) {
      ObjectNode s = steps.addObject().put("name", step);
      s.set("action", call(participant, step, "action"));
      s.set("compensation", call(participant, step, "compensation"));
      s.set("retry", retry());
      s.set("compensationRetry", retry());
      s.put("timeoutMs", 2_000);
    }
    ObjectNode last = steps.addObject().put("name", LAST);
    last.set("action", call(participant, LAST, "action"));
    last.set("retry", retry());
    last.put("timeoutMs", 2_000);
    d.put("deadlineMs", 300_000);
    return d;
  }

  private static ObjectNode call(URI participant, String step, String phase) {
    ObjectNode http = ChaosHttp.object().put("method", "POST").put("url", participant + "/effect");
    http.putObject("body")
        .put("saga", "${sagaId}")
        .put("step", step)
        .put("phase", phase)
        .put("fail", "${input.fail}");
    ObjectNode action = ChaosHttp.object();
    action.set("http", http);
    return action;
  }

  private static ObjectNode retry() {
    return ChaosHttp.object()
        .put("maxAttempts", 30)
        .put("initialBackoffMs", 100)
        .put("maxBackoffMs", 2_000)
        .put("multiplier", 2.0);
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
          String id = "s-" + instance + "-" + client + "-" + next[client]++;
          boolean fail = ThreadLocalRandom.current().nextInt(4) == 0;
          ObjectNode start = ChaosHttp.object().put("id", id);
          start.putObject("input").put("fail", Boolean.toString(fail));
          long invoke = System.nanoTime();
          Reply r;
          do {
            r =
                ChaosHttp.post(
                    g, ChaosHttp.any(g), "/v1/sagas/" + DEFINITION + "/instances", start);
          } while (ChaosHttp.writeOutcome(r, Set.of()) == Outcome.INDETERMINATE
              && !stop.getAsBoolean()
              && pause(200));
          Outcome outcome = ChaosHttp.writeOutcome(r, Set.of());
          history.record(
              client,
              "sagas/" + client + "/" + (next[client] - 1),
              "start",
              id,
              Boolean.toString(fail),
              r.ok() ? null : r.describe(),
              invoke,
              outcome);
          pause(startPauseMillis);
        });
  }

  private static boolean pause(long millis) throws InterruptedException {
    Clients.pause(millis);
    return true;
  }

  @Override
  public CheckResult check(Gateways g) throws Exception {
    try {
      List<Op> ops = history.snapshot();
      Set<String> acknowledged = new LinkedHashSet<>();
      Map<String, String> states = new LinkedHashMap<>();
      for (Op op : ops) {
        if (op.f().equals("start") && op.outcome() != Outcome.FAIL) {
          states.put(op.value(), "UNKNOWN");
          if (op.ok()) {
            acknowledged.add(op.value());
          }
        }
      }
      long deadline = System.nanoTime() + finishDeadline.toNanos();
      List<String> pending = new ArrayList<>(states.keySet());
      while (!pending.isEmpty()) {
        List<String> still = new ArrayList<>();
        for (String id : pending) {
          Reply r = ChaosHttp.get(g, ChaosHttp.any(g), "/v1/sagas/instances/" + id);
          if (r.ok()) {
            String state = r.body().path("state").asText();
            states.put(id, state);
            if (!state.equals("COMPLETED") && !state.equals("COMPENSATED")) {
              still.add(id);
            }
          } else if (r.status() == 404) {
            states.put(id, null);
          } else {
            still.add(id);
          }
        }
        pending = still;
        if (pending.isEmpty() || System.nanoTime() > deadline) {
          break;
        }
        Clients.pause(500);
      }
      return verdict(
          ops, states, acknowledged, participant.effects(), participant.callsWithoutKey());
    } finally {
      participant.close();
    }
  }

  static CheckResult verdict(
      List<Op> ops,
      Map<String, String> states,
      Set<String> acknowledged,
      Map<String, SagaParticipant.Effects> effects,
      long callsWithoutKey) {
    List<String> violations = new ArrayList<>();
    SagaChecker.Counts c =
        SagaChecker.check(states, acknowledged, effects, COMPENSABLE, LAST, violations);
    if (callsWithoutKey > 0) {
      violations.add(
          "no_idempotency_key: "
              + callsWithoutKey
              + " participant calls carried no Idempotency-Key");
    }
    Map<String, String> figures = new LinkedHashMap<>();
    figures.put("sagas", Long.toString(c.started()));
    figures.put("completed", Long.toString(c.completed()));
    figures.put("compensated", Long.toString(c.compensated()));
    figures.put("not_finished", Long.toString(c.notFinished()));
    figures.put("double_effects", Long.toString(c.doubleEffects()));
    figures.put("wrong_effects", Long.toString(c.wrongEffects()));
    boolean valid =
        c.notFinished() == 0
            && c.doubleEffects() == 0
            && c.wrongEffects() == 0
            && callsWithoutKey == 0;
    return CheckResult.of("sagas", ops, valid, figures, UniquePutWorkload.truncate(violations));
  }

  @Override
  public List<Op> history() {
    return history.snapshot();
  }
}
