package dev.cohort.kafka.internal;

import dev.cohort.log.LogError;
import dev.cohort.log.LogException;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.protocol.Errors;

/**
 * Maps stream-log failures ({@link LogError}) onto Kafka's error codes; anything unexpected is
 * UNKNOWN_SERVER_ERROR.
 */
final class KafkaErrors {
  private static final Map<LogError, Errors> BY_ERROR = byError();

  private static Map<LogError, Errors> byError() {
    Map<LogError, Errors> m = new EnumMap<>(LogError.class);
    m.put(LogError.UNKNOWN_TOPIC_OR_PARTITION, Errors.UNKNOWN_TOPIC_OR_PARTITION);
    m.put(LogError.INVALID_TOPIC_NAME, Errors.INVALID_TOPIC_EXCEPTION);
    m.put(LogError.INVALID_PARTITIONS, Errors.INVALID_PARTITIONS);
    m.put(LogError.INVALID_CONFIG, Errors.INVALID_CONFIG);
    m.put(LogError.INVALID_RECORD, Errors.INVALID_RECORD);
    m.put(LogError.INVALID_REQUEST, Errors.INVALID_REQUEST);
    m.put(LogError.INVALID_GROUP_ID, Errors.INVALID_GROUP_ID);
    m.put(LogError.INVALID_SESSION_TIMEOUT, Errors.INVALID_SESSION_TIMEOUT);
    m.put(LogError.OFFSET_OUT_OF_RANGE, Errors.OFFSET_OUT_OF_RANGE);
    m.put(LogError.TOPIC_ALREADY_EXISTS, Errors.TOPIC_ALREADY_EXISTS);
    m.put(LogError.ILLEGAL_GENERATION, Errors.ILLEGAL_GENERATION);
    m.put(LogError.UNKNOWN_MEMBER_ID, Errors.UNKNOWN_MEMBER_ID);
    m.put(LogError.INCONSISTENT_GROUP_PROTOCOL, Errors.INCONSISTENT_GROUP_PROTOCOL);
    m.put(LogError.OUT_OF_ORDER_SEQUENCE, Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);
    m.put(LogError.INVALID_PRODUCER_EPOCH, Errors.INVALID_PRODUCER_EPOCH);
    m.put(LogError.UNKNOWN_PRODUCER_ID, Errors.UNKNOWN_PRODUCER_ID);
    m.put(LogError.RECORD_TOO_LARGE, Errors.MESSAGE_TOO_LARGE);
    m.put(LogError.NOT_READY, Errors.LEADER_NOT_AVAILABLE);
    m.put(LogError.REQUEST_TIMEOUT, Errors.REQUEST_TIMED_OUT);
    m.put(LogError.DELIVERY_TIMEOUT, Errors.REQUEST_TIMED_OUT);
    m.put(LogError.NON_EMPTY_GROUP, Errors.NON_EMPTY_GROUP);
    return m;
  }

  private KafkaErrors() {}

  static Errors of(Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof LogException e) {
      for (LogError error : LogError.values()) {
        if (error.code().equals(e.code())) {
          return BY_ERROR.getOrDefault(error, Errors.UNKNOWN_SERVER_ERROR);
        }
      }
      return Errors.UNKNOWN_SERVER_ERROR;
    }
    if (cause instanceof ProducedBatches.InvalidBatch invalid) {
      return invalid.error;
    }
    if (cause instanceof java.util.concurrent.TimeoutException) {
      return Errors.REQUEST_TIMED_OUT;
    }
    return Errors.forException(cause);
  }

  /** The failure's own message, for the responses that carry one. */
  static String message(Throwable failure) {
    Throwable cause = unwrap(failure);
    return cause.getMessage() == null ? cause.toString() : cause.getMessage();
  }

  static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
