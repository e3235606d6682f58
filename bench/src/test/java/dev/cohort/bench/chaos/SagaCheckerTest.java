package dev.cohort.bench.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SagaCheckerTest {
  private static SagaParticipant.Effects once(String key) {
    return new SagaParticipant.Effects(1, 2, List.of(key));
  }

  private static Map<String, SagaParticipant.Effects> completed(String saga) {
    Map<String, SagaParticipant.Effects> e = new HashMap<>();
    for (String step : List.of("reserve", "charge", "confirm")) {
      e.put(saga + "|" + step + "|action", once(saga + ":" + step + ":action"));
    }
    return e;
  }

  private static Map<String, SagaParticipant.Effects> compensated(String saga) {
    Map<String, SagaParticipant.Effects> e = new HashMap<>();
    for (String step : List.of("reserve", "charge")) {
      e.put(saga + "|" + step + "|action", once(saga + ":" + step + ":action"));
      e.put(saga + "|" + step + "|compensation", once(saga + ":" + step + ":compensation"));
    }
    e.put(
        saga + "|confirm|action",
        new SagaParticipant.Effects(0, 1, List.of(saga + ":confirm:action")));
    return e;
  }

  private static CheckResult verdict(
      Map<String, String> states, Map<String, SagaParticipant.Effects> effects) {
    return SagasWorkload.verdict(List.of(), states, states.keySet(), effects, 0);
  }

  @Test
  void completedAndCompensatedSagasWithEffectsOnceAreValid() {
    Map<String, SagaParticipant.Effects> effects = new HashMap<>(completed("s1"));
    effects.putAll(compensated("s2"));
    Map<String, String> states =
        new LinkedHashMap<>(Map.of("s1", "COMPLETED", "s2", "COMPENSATED"));
    CheckResult r = verdict(states, effects);
    assertTrue(r.valid(), r.violations().toString());
    assertEquals("1", r.figures().get("compensated"));
  }

  @Test
  void aSagaStuckRunningOrMissingIsNotFinished() {
    CheckResult running = verdict(Map.of("s1", "RUNNING"), completed("s1"));
    assertFalse(running.valid());
    assertEquals("1", running.figures().get("not_finished"));
    Map<String, String> missing = new HashMap<>();
    missing.put("s1", null);
    assertFalse(SagasWorkload.verdict(List.of(), missing, Set.of("s1"), Map.of(), 0).valid());
    // Not acknowledged and not there: the start never happened, which is fine.
    assertTrue(SagasWorkload.verdict(List.of(), missing, Set.of(), Map.of(), 0).valid());
  }

  @Test
  void anEffectAppliedTwiceOrNotUndoneIsAViolation() {
    Map<String, SagaParticipant.Effects> twice = completed("s1");
    twice.put("s1|charge|action", new SagaParticipant.Effects(2, 2, List.of("k1", "k2")));
    CheckResult r = verdict(Map.of("s1", "COMPLETED"), twice);
    assertFalse(r.valid());
    assertEquals("1", r.figures().get("double_effects"));

    Map<String, SagaParticipant.Effects> notUndone = compensated("s2");
    notUndone.remove("s2|charge|compensation");
    CheckResult r2 = verdict(Map.of("s2", "COMPENSATED"), notUndone);
    assertFalse(r2.valid());
    assertEquals("1", r2.figures().get("wrong_effects"));
  }

  @Test
  void participantCallsWithoutAnIdempotencyKeyAreAViolation() {
    assertFalse(
        SagasWorkload.verdict(
                List.of(), Map.of("s1", "COMPLETED"), Set.of("s1"), completed("s1"), 3)
            .valid());
  }
}
