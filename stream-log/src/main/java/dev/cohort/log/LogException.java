package dev.cohort.log;

import dev.cohort.persistence.CohortException;
import dev.cohort.persistence.ErrorKind;
import dev.cohort.persistence.Rejection;

/**
 * The typed error of the stream-log API. Codes are stable snake_case strings that the HTTP gateway
 * returns too; they follow Kafka's error names where the concept is Kafka's:
 *
 * <ul>
 *   <li>{@code invalid_topic_name}, {@code invalid_partitions}, {@code invalid_config},
 *       {@code invalid_request}, {@code invalid_record} (INVALID)
 *   <li>{@code unknown_topic_or_partition}, {@code unknown_member_id}, {@code group_not_found}
 *       (NOT_FOUND)
 *   <li>{@code topic_already_exists}, {@code illegal_generation}, {@code out_of_order_sequence},
 *       {@code invalid_producer_epoch}, {@code unknown_producer_id}, {@code
 *       inconsistent_group_protocol} (CONFLICT)
 *   <li>{@code offset_out_of_range} (INVALID, as a 416-like client error mapped to 400)
 *   <li>{@code record_too_large} (TOO_LARGE)
 *   <li>{@code request_timeout}, {@code delivery_timeout} (TIMEOUT), {@code not_ready} (UNAVAILABLE)
 * </ul>
 */
public final class LogException extends CohortException {

  public LogException(ErrorKind kind, String code, String message) {
    super(kind, code, message);
  }

  public LogException(ErrorKind kind, String code, String message, Throwable cause) {
    super(kind, code, message, cause);
  }

  public static LogException of(Rejection rejection) {
    return new LogException(rejection.kind(), rejection.code(), rejection.message());
  }

  static LogException invalid(String code, String message) {
    return new LogException(ErrorKind.INVALID, code, message);
  }
}
