package dev.cohort.saga;

import dev.cohort.persistence.CohortSerializable;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a step does, as its action or its compensation. Text fields marked "template" may contain
 * {@code ${sagaId}}, {@code ${input.<path>}} and {@code ${steps.<step>.output.<path>}}; they are
 * filled from the saga context when the step runs (see {@code saga/README.md}).
 *
 * <p>The records hold what they are given: {@link SagaDefinition#validate} checks them.
 */
public sealed interface StepAction extends CohortSerializable {

  /** The kind as written in JSON: {@code java}, {@code http}, {@code kv} or {@code log}. */
  String kind();

  /**
   * Calls the function registered under {@code function} with {@link Sagas#registerFunction} on the
   * node that runs the step; its output (a JSON-like map) is merged into the context.
   */
  record Java(String function) implements StepAction {
    @Override
    public String kind() {
      return "java";
    }
  }

  /**
   * Calls a participant service. The request carries {@code Idempotency-Key: <sagaId>:<step>:<
   * action|compensation>}, the same on every attempt. A status in {@code successStatus} succeeds
   * (its JSON object body, if any, is the output); statuses in {@code retryableStatus} (default
   * 408, 429 and 5xx), connection errors and timeouts are retried; any other status fails the step
   * for good.
   *
   * @param method GET, POST, PUT, PATCH or DELETE
   * @param url template; an absolute http or https URL once filled
   * @param headers header templates
   * @param body a JSON template (JSON text whose strings may hold placeholders; a string that is
   *     exactly one placeholder takes the value's JSON type), empty for no body
   * @param successStatus statuses that mean success; empty means any 2xx
   * @param retryableStatus failure statuses worth another attempt; empty means 408, 429 and 5xx
   */
  record Http(
      String method,
      String url,
      Map<String, String> headers,
      String body,
      List<Integer> successStatus,
      List<Integer> retryableStatus)
      implements StepAction {
    public Http {
      headers = headers == null ? Map.of() : Map.copyOf(headers);
      body = body == null ? "" : body;
      successStatus = successStatus == null ? List.of() : List.copyOf(successStatus);
      retryableStatus = retryableStatus == null ? List.of() : List.copyOf(retryableStatus);
    }

    /** Whether a failure with {@code status} may be tried again. */
    public boolean retryable(int status) {
      return retryableStatus.isEmpty()
          ? status >= 500 || status == 408 || status == 429
          : retryableStatus.contains(status);
    }

    @Override
    public String kind() {
      return "http";
    }

    public Http withBody(String jsonTemplate) {
      return new Http(method, url, headers, jsonTemplate, successStatus, retryableStatus);
    }

    public Http withHeaders(Map<String, String> newHeaders) {
      return new Http(method, url, newHeaders, body, successStatus, retryableStatus);
    }

    public Http withSuccessStatus(List<Integer> statuses) {
      return new Http(method, url, headers, body, statuses, retryableStatus);
    }

    public Http withRetryableStatus(List<Integer> statuses) {
      return new Http(method, url, headers, body, successStatus, statuses);
    }
  }

  /** The operation of a {@link Kv} step. Written by ordinal: add constants only at the end. */
  enum KvOp implements CohortSerializable {
    PUT,
    DELETE,
    TXN
  }

  /**
   * Writes to a kv keyspace through {@code dev.cohort.kv.Kv}: a put of {@code value} under {@code
   * key}, a delete of {@code key}, or a transaction {@code txn} (which fails the step for good when
   * its compares do not hold). Key, value and txn texts are templates.
   */
  record Kv(KvOp op, String keyspace, String key, String value, Optional<KvTxn> txn)
      implements StepAction {
    public Kv {
      txn = txn == null ? Optional.empty() : txn;
    }

    @Override
    public String kind() {
      return "kv";
    }
  }

  /**
   * A kv transaction: compares (target {@code value}, {@code version}, {@code create}, {@code mod}
   * or {@code lease}; op {@code = != < >}) and the writes of each branch.
   */
  record KvTxn(List<KvCompare> compare, List<KvWrite> success, List<KvWrite> failure)
      implements CohortSerializable {
    public KvTxn {
      compare = compare == null ? List.of() : List.copyOf(compare);
      success = success == null ? List.of() : List.copyOf(success);
      failure = failure == null ? List.of() : List.copyOf(failure);
    }
  }

  /** One compare of a {@link KvTxn}; {@code value} is text for {@code value}, a number else. */
  record KvCompare(String key, String target, String op, String value)
      implements CohortSerializable {}

  /** One write of a {@link KvTxn} branch: {@code put} (with value) or {@code delete}. */
  record KvWrite(String op, String key, String value) implements CohortSerializable {}

  /**
   * Produces one record to {@code topic} through {@code dev.cohort.log.StreamLog} with the
   * idempotency key as header {@code idempotency-key}. Key and value are templates; an empty key
   * means no key.
   */
  record Log(String topic, String key, String value, Map<String, String> headers)
      implements StepAction {
    public Log {
      headers = headers == null ? Map.of() : Map.copyOf(headers);
    }

    @Override
    public String kind() {
      return "log";
    }
  }

  // ---- DSL ----

  static Java java(String function) {
    return new Java(function);
  }

  static Http http(String method, String url) {
    return new Http(method, url, Map.of(), "", List.of(), List.of());
  }

  static Kv kvPut(String keyspace, String key, String value) {
    return new Kv(KvOp.PUT, keyspace, key, value, Optional.empty());
  }

  static Kv kvDelete(String keyspace, String key) {
    return new Kv(KvOp.DELETE, keyspace, key, null, Optional.empty());
  }

  static Kv kvTxn(String keyspace, KvTxn txn) {
    return new Kv(KvOp.TXN, keyspace, "", null, Optional.of(txn));
  }

  static Log log(String topic, String key, String value) {
    return new Log(topic, key, value, Map.of());
  }
}
