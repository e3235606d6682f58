package dev.cohort.saga;

import dev.cohort.saga.internal.JsonValues;
import dev.cohort.saga.internal.Templates;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rules a definition must satisfy; the first broken one is reported as {@code
 * invalid_definition} with a message naming the step and field. Stateless.
 */
final class DefinitionRules {
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final Pattern HEADER = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}");

  /** Headers the JDK client sets itself and refuses to take from a request. */
  private static final Set<String> RESTRICTED =
      Set.of("connection", "content-length", "expect", "host", "upgrade", "idempotency-key");

  private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE");
  private static final Set<String> TARGETS = Set.of("value", "version", "create", "mod", "lease");
  private static final Set<String> OPS = Set.of("=", "==", "!=", "<", ">");

  /** Hard limits independent of the node's settings (which may be lower). */
  static final int MAX_STEPS = 1000;

  private static final long DAY_MS = Duration.ofDays(1).toMillis();

  private DefinitionRules() {}

  static void validate(SagaDefinition d) {
    if (d.name() == null || !NAME.matcher(d.name()).matches()) {
      throw bad(
          "definition name must be 1 to 64 letters, digits, '_', '-' or '.', not '"
              + d.name()
              + "'");
    }
    if (d.steps().isEmpty()) {
      throw bad("definition '" + d.name() + "' has no steps");
    }
    if (d.steps().size() > MAX_STEPS) {
      throw bad(
          "definition '" + d.name() + "' has " + d.steps().size() + " steps; at most " + MAX_STEPS);
    }
    if (d.deadlineMs() < 0 || d.deadlineMs() > 365 * DAY_MS) {
      throw bad("deadlineMs must be 0 (none) to one year, not " + d.deadlineMs());
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < d.steps().size(); i++) {
      SagaStep step = d.steps().get(i);
      if (step == null || step.name() == null || !NAME.matcher(step.name()).matches()) {
        throw bad(
            "step "
                + (i + 1)
                + ": name must be 1 to 64 letters, digits, '_', '-' or '.', not '"
                + (step == null ? null : step.name())
                + "'");
      }
      if (!names.add(step.name())) {
        throw bad("duplicate step name '" + step.name() + "'");
      }
      String where = "step '" + step.name() + "'";
      if (step.action() == null) {
        throw bad(where + " has no action");
      }
      Set<String> earlier = Set.copyOf(names.stream().filter(n -> !n.equals(step.name())).toList());
      action(where + " action", step.action(), earlier);
      boolean last = i == d.steps().size() - 1;
      if (step.compensation().isPresent()) {
        if (step.noCompensation()) {
          throw bad(where + " has a compensation and says noCompensation");
        }
        action(where + " compensation", step.compensation().get(), Set.copyOf(names));
      } else if (!last && !step.noCompensation()) {
        throw bad(
            where
                + " has no compensation; every step but the last needs one (set "
                + "\"noCompensation\": true for a step with nothing to undo)");
      }
      retry(where + " retry", step.retry());
      retry(where + " compensationRetry", step.compensationRetry());
      if (step.timeoutMs() < 0 || step.timeoutMs() > DAY_MS) {
        throw bad(
            where
                + ": timeoutMs must be 1 ms to 24 h (0: the node default), not "
                + step.timeoutMs());
      }
    }
  }

  private static void retry(String where, RetryPolicy p) {
    if (p == null) {
      return;
    }
    if (p.maxAttempts() < 1 || p.maxAttempts() > 1000) {
      throw bad(where + ": maxAttempts must be 1 to 1000, not " + p.maxAttempts());
    }
    if (p.initialBackoffMs() < 0 || p.maxBackoffMs() < p.initialBackoffMs()) {
      throw bad(
          where
              + ": backoff must satisfy 0 <= initialBackoffMs <= maxBackoffMs, not "
              + p.initialBackoffMs()
              + " and "
              + p.maxBackoffMs());
    }
    if (p.maxBackoffMs() > DAY_MS) {
      throw bad(where + ": maxBackoffMs must be at most 24 h, not " + p.maxBackoffMs());
    }
    if (!(p.multiplier() >= 1.0 && p.multiplier() <= 100.0)) {
      throw bad(where + ": multiplier must be 1.0 to 100.0, not " + p.multiplier());
    }
  }

  private static void action(String where, StepAction action, Set<String> visibleSteps) {
    switch (action) {
      case StepAction.Java java -> {
        if (java.function() == null
            || java.function().isBlank()
            || java.function().length() > 200) {
          throw bad(where + ": java function name must be 1 to 200 characters");
        }
      }
      case StepAction.Http http -> http(where, http, visibleSteps);
      case StepAction.Kv kv -> kv(where, kv, visibleSteps);
      case StepAction.Log log -> {
        if (log.topic() == null || log.topic().isBlank()) {
          throw bad(where + ": log step needs a topic");
        }
        templates(where, visibleSteps, log.topic(), log.key(), log.value());
        log.headers().forEach((k, v) -> templates(where, visibleSteps, v));
      }
    }
  }

  private static void http(String where, StepAction.Http http, Set<String> visible) {
    if (http.method() == null || !METHODS.contains(http.method())) {
      throw bad(
          where
              + ": http method must be one of GET, POST, PUT, PATCH, DELETE, not '"
              + http.method()
              + "'");
    }
    if (http.url() == null || http.url().isBlank()) {
      throw bad(where + ": http step needs a url");
    }
    templates(where, visible, http.url());
    String probe = Templates.PLACEHOLDER.matcher(http.url()).replaceAll("x");
    try {
      URI uri = new URI(probe);
      if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
        throw bad(where + ": url '" + http.url() + "' must be an absolute http or https URL");
      }
      if (uri.getHost() == null || uri.getHost().isBlank()) {
        throw bad(where + ": url '" + http.url() + "' has no host");
      }
    } catch (URISyntaxException e) {
      throw bad(where + ": url '" + http.url() + "' is malformed: " + e.getReason());
    }
    for (Map.Entry<String, String> header : http.headers().entrySet()) {
      if (!HEADER.matcher(header.getKey()).matches()) {
        throw bad(where + ": '" + header.getKey() + "' is not a valid header name");
      }
      if (RESTRICTED.contains(header.getKey().toLowerCase(java.util.Locale.ROOT))) {
        throw bad(where + ": header '" + header.getKey() + "' is set by Cohort itself");
      }
      if (header.getValue() == null
          || header.getValue().indexOf('\n') >= 0
          || header.getValue().indexOf('\r') >= 0) {
        throw bad(where + ": header '" + header.getKey() + "' has an invalid value");
      }
      templates(where, visible, header.getValue());
    }
    if (!http.body().isEmpty()) {
      JsonValues.tree(http.body(), SagaError.INVALID_DEFINITION, where + " body");
      templates(where, visible, http.body());
    }
    for (Integer status : http.retryableStatus()) {
      if (status == null || status < 100 || status > 599 || http.successStatus().contains(status)) {
        throw bad(where + ": retryableStatus " + status + " is not an HTTP failure status");
      }
    }
    for (Integer status : http.successStatus()) {
      if (status == null || status < 100 || status > 599) {
        throw bad(where + ": successStatus " + status + " is not an HTTP status (100-599)");
      }
    }
  }

  private static void kv(String where, StepAction.Kv kv, Set<String> visible) {
    if (kv.op() == null) {
      throw bad(where + ": kv op must be put, delete or txn");
    }
    if (kv.keyspace() == null || kv.keyspace().isBlank()) {
      throw bad(where + ": kv step needs a keyspace");
    }
    switch (kv.op()) {
      case PUT, DELETE -> {
        if (kv.key() == null || kv.key().isBlank()) {
          throw bad(where + ": kv " + kv.op().name().toLowerCase() + " needs a key");
        }
        if (kv.op() == StepAction.KvOp.PUT && kv.value() == null) {
          throw bad(where + ": kv put needs a value");
        }
        templates(where, visible, kv.key(), kv.value());
      }
      case TXN -> {
        StepAction.KvTxn txn = kv.txn().orElseThrow(() -> bad(where + ": kv txn needs \"txn\""));
        if (txn.success().isEmpty() && txn.failure().isEmpty()) {
          throw bad(where + ": kv txn has no operations");
        }
        for (StepAction.KvCompare c : txn.compare()) {
          if (c.key() == null
              || c.key().isBlank()
              || !TARGETS.contains(c.target())
              || !OPS.contains(c.op())) {
            throw bad(
                where
                    + ": txn compare needs a key, a target (value, version, create, mod, "
                    + "lease) and an op (= != < >): "
                    + c);
          }
          templates(where, visible, c.key(), c.value());
        }
        for (List<StepAction.KvWrite> branch : List.of(txn.success(), txn.failure())) {
          for (StepAction.KvWrite w : branch) {
            boolean put = "put".equals(w.op());
            if (w.key() == null
                || w.key().isBlank()
                || !(put || "delete".equals(w.op()))
                || (put && w.value() == null)) {
              throw bad(
                  where
                      + ": txn operation needs op put (with a value) or delete, and a "
                      + "key: "
                      + w);
            }
            templates(where, visible, w.key(), w.value());
          }
        }
      }
    }
  }

  /** Every placeholder must read sagaId, input or the output of a step in {@code visible}. */
  private static void templates(String where, Set<String> visible, String... texts) {
    for (String text : texts) {
      if (text == null) {
        continue;
      }
      if (text.contains("${") && Templates.references(text).isEmpty()) {
        throw bad(where + ": unterminated placeholder in '" + text + "'");
      }
      for (String path : Templates.references(text)) {
        String[] parts = path.split("\\.", -1);
        boolean ok =
            switch (parts[0]) {
              case "sagaId" -> parts.length == 1;
              case "input" -> allNonEmpty(parts);
              case "steps" -> {
                if (parts.length < 3 || !parts[2].equals("output") || !allNonEmpty(parts)) {
                  yield false;
                }
                if (!visible.contains(parts[1])) {
                  throw bad(
                      where
                          + ": placeholder ${"
                          + path
                          + "} reads step '"
                          + parts[1]
                          + "', which has not completed at that point");
                }
                yield true;
              }
              default -> false;
            };
        if (!ok) {
          throw bad(
              where
                  + ": placeholder ${"
                  + path
                  + "} must be ${sagaId}, ${input.<field>} "
                  + "or ${steps.<step>.output.<field>}");
        }
      }
    }
  }

  private static boolean allNonEmpty(String[] parts) {
    for (String p : parts) {
      if (p.isEmpty()) {
        return false;
      }
    }
    return true;
  }

  private static SagaException bad(String message) {
    return SagaError.INVALID_DEFINITION.exception(message);
  }
}
