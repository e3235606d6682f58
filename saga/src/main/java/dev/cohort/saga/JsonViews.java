package dev.cohort.saga;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.saga.internal.JsonValues;

/**
 * The JSON shapes of instances, summaries and updates, as the HTTP gateway returns them and the
 * events topic carries them: input, context and outputs are embedded as JSON, times are ISO-8601.
 * Stateless.
 */
final class JsonViews {
  private JsonViews() {}

  static ObjectNode instance(SagaInstance i) {
    ObjectNode o = JsonValues.MAPPER.createObjectNode();
    o.put("id", i.id());
    o.put("definition", i.definition());
    o.put("version", i.version());
    o.put("state", i.state().name());
    o.set("input", JsonValues.tree(i.input(), SagaError.INVALID_INPUT, "input"));
    o.set("context", JsonValues.tree(i.context(), SagaError.INVALID_INPUT, "context"));
    ArrayNode steps = o.putArray("steps");
    for (StepRecord s : i.steps()) {
      ObjectNode step = steps.addObject();
      step.put("name", s.name());
      step.put("status", s.status().name());
      s.output()
          .ifPresent(
              out -> step.set("output", JsonValues.tree(out, SagaError.INVALID_INPUT, "output")));
      s.error().ifPresent(e -> step.put("error", e));
      ArrayNode attempts = step.putArray("attempts");
      for (Attempt a : s.attempts()) {
        ObjectNode attempt = attempts.addObject();
        attempt.put("phase", a.phase().label());
        attempt.put("number", a.number());
        attempt.put("outcome", a.outcome().name());
        attempt.put("startedAt", a.startedAt().toString());
        a.finishedAt().ifPresent(f -> attempt.put("finishedAt", f.toString()));
        a.error()
            .ifPresent(
                e -> {
                  attempt.put("error", e);
                  attempt.put("retryable", a.retryable());
                });
      }
    }
    o.put("startedAt", i.startedAt().toString());
    o.put("updatedAt", i.updatedAt().toString());
    i.deadline().ifPresent(d -> o.put("deadline", d.toString()));
    i.error().ifPresent(e -> o.put("error", e));
    i.resolution().ifPresent(r -> o.put("resolution", r));
    return o;
  }

  static ObjectNode summary(SagaSummary s) {
    ObjectNode o = JsonValues.MAPPER.createObjectNode();
    o.put("id", s.id());
    o.put("definition", s.definition());
    o.put("version", s.version());
    o.put("state", s.state().name());
    o.put("updatedAt", s.updatedAt().toString());
    return o;
  }

  static ObjectNode update(SagaUpdate u) {
    ObjectNode o = JsonValues.MAPPER.createObjectNode();
    o.put("id", u.id());
    o.put("definition", u.definition());
    o.put("version", u.version());
    o.put("event", u.event());
    o.put("state", u.state().name());
    u.step().ifPresent(s -> o.put("step", s));
    if (u.attempt() > 0) {
      o.put("attempt", u.attempt());
    }
    u.error().ifPresent(e -> o.put("error", e));
    o.put("at", u.at().toString());
    return o;
  }
}
