package dev.cohort.bench.chaos;

import java.util.List;
import java.util.Map;

/**
 * Checks sagas against the participant's record of effects. Every saga whose start was acknowledged
 * must end COMPLETED or COMPENSATED; a COMPLETED saga has each step's action applied exactly once
 * and no compensation; a COMPENSATED one (the workload makes only the last step fail for good) has
 * every compensable step's action undone exactly once and the failing step without effect. Whatever
 * the state, no (saga, step, phase) is applied more than once.
 */
public final class SagaChecker {
  private SagaChecker() {}

  public record Counts(
      long started,
      long completed,
      long compensated,
      long notFinished,
      long doubleEffects,
      long wrongEffects) {}

  /**
   * @param states final state per saga id whose start was acknowledged or indeterminate (null or
   *     absent: not found, never started)
   * @param acknowledged the ids whose start was acknowledged
   * @param compensable the step names that have a compensation, in order
   * @param last the last step's name (no compensation; fails for sagas started with fail=true)
   */
  public static Counts check(
      Map<String, String> states,
      java.util.Set<String> acknowledged,
      Map<String, SagaParticipant.Effects> effects,
      List<String> compensable,
      String last,
      List<String> violations) {
    long completed = 0;
    long compensated = 0;
    long notFinished = 0;
    long doubles = 0;
    long wrong = 0;
    for (Map.Entry<String, SagaParticipant.Effects> e : effects.entrySet()) {
      if (e.getValue().applied() > 1) {
        doubles++;
        violations.add(
            "double_effect: "
                + e.getKey()
                + " applied "
                + e.getValue().applied()
                + " times with keys "
                + e.getValue().keys());
      }
    }
    for (Map.Entry<String, String> s : states.entrySet()) {
      String saga = s.getKey();
      String state = s.getValue();
      if (state == null) {
        if (acknowledged.contains(saga)) {
          notFinished++;
          violations.add("missing: saga " + saga + " was started (acknowledged) but is not found");
        }
        continue;
      }
      switch (state) {
        case "COMPLETED" -> {
          completed++;
          for (String step : compensable) {
            wrong += expect(effects, saga, step, "action", 1, violations);
            wrong += expect(effects, saga, step, "compensation", 0, violations);
          }
          wrong += expect(effects, saga, last, "action", 1, violations);
        }
        case "COMPENSATED" -> {
          compensated++;
          for (String step : compensable) {
            int action = applied(effects, saga, step, "action");
            wrong += expect(effects, saga, step, "compensation", action, violations);
          }
          wrong += expect(effects, saga, last, "action", 0, violations);
        }
        default -> {
          notFinished++;
          violations.add("not_finished: saga " + saga + " ended the check in state " + state);
        }
      }
    }
    return new Counts(states.size(), completed, compensated, notFinished, doubles, wrong);
  }

  private static int applied(
      Map<String, SagaParticipant.Effects> effects, String saga, String step, String phase) {
    SagaParticipant.Effects e = effects.get(saga + "|" + step + "|" + phase);
    return e == null ? 0 : e.applied();
  }

  private static int expect(
      Map<String, SagaParticipant.Effects> effects,
      String saga,
      String step,
      String phase,
      int expected,
      List<String> violations) {
    int applied = applied(effects, saga, step, phase);
    if (applied != expected) {
      violations.add(
          "wrong_effects: saga "
              + saga
              + " step "
              + step
              + " "
              + phase
              + " applied "
              + applied
              + " times, expected "
              + expected);
      return 1;
    }
    return 0;
  }
}
