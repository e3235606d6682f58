package dev.cohort.kafka.internal;

import dev.cohort.log.LogException;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.protocol.Errors;

/**
 * Maps stream-log failures onto Kafka's error codes. A {@link LogException}'s code names the
 * Kafka error where the concept is Kafka's; anything unexpected is UNKNOWN_SERVER_ERROR.
 */
final class KafkaErrors {
  private static final Map<String, Errors> BY_CODE =
      Map.ofEntries(
          Map.entry("unknown_topic_or_partition", Errors.UNKNOWN_TOPIC_OR_PARTITION),
          Map.entry("invalid_topic_name", Errors.INVALID_TOPIC_EXCEPTION),
          Map.entry("invalid_partitions", Errors.INVALID_PARTITIONS),
          Map.entry("invalid_config", Errors.INVALID_CONFIG),
          Map.entry("invalid_record", Errors.INVALID_RECORD),
          Map.entry("invalid_request", Errors.INVALID_REQUEST),
          Map.entry("invalid_group_id", Errors.INVALID_GROUP_ID),
          Map.entry("invalid_session_timeout", Errors.INVALID_SESSION_TIMEOUT),
          Map.entry("offset_out_of_range", Errors.OFFSET_OUT_OF_RANGE),
          Map.entry("topic_already_exists", Errors.TOPIC_ALREADY_EXISTS),
          Map.entry("illegal_generation", Errors.ILLEGAL_GENERATION),
          Map.entry("unknown_member_id", Errors.UNKNOWN_MEMBER_ID),
          Map.entry("group_not_found", Errors.GROUP_ID_NOT_FOUND),
          Map.entry("inconsistent_group_protocol", Errors.INCONSISTENT_GROUP_PROTOCOL),
          Map.entry("out_of_order_sequence", Errors.OUT_OF_ORDER_SEQUENCE_NUMBER),
          Map.entry("invalid_producer_epoch", Errors.INVALID_PRODUCER_EPOCH),
          Map.entry("unknown_producer_id", Errors.UNKNOWN_PRODUCER_ID),
          Map.entry("record_too_large", Errors.MESSAGE_TOO_LARGE),
          Map.entry("not_ready", Errors.LEADER_NOT_AVAILABLE),
          Map.entry("request_timeout", Errors.REQUEST_TIMED_OUT),
          Map.entry("delivery_timeout", Errors.REQUEST_TIMED_OUT));

  private KafkaErrors() {}

  static Errors of(Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof LogException e) {
      return BY_CODE.getOrDefault(e.code(), Errors.UNKNOWN_SERVER_ERROR);
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
