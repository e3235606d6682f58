package dev.cohort.log;

import dev.cohort.persistence.ErrorCode;
import dev.cohort.persistence.ErrorKind;

/**
 * Every error code of the stream log, declared once with its kind (which decides the HTTP status).
 * Codes follow Kafka's error names where the concept is Kafka's. Entities reply with {@link
 * #rejection}, the API throws {@link #exception}, and checks compare constants, never spellings.
 * Codes are stable: clients match on them.
 */
public enum LogError implements ErrorCode {
  /** A topic name breaks Kafka's rule (1-249 of {@code [a-zA-Z0-9._-]}, not . or ..). */
  INVALID_TOPIC_NAME(ErrorKind.INVALID),
  /** A partition count below 1, or fewer than the topic has. */
  INVALID_PARTITIONS(ErrorKind.INVALID),
  /** A topic, producer or consumer config that is unknown or out of range. */
  INVALID_CONFIG(ErrorKind.INVALID),
  /** A request breaks a rule the message names. */
  INVALID_REQUEST(ErrorKind.INVALID),
  /** A record the topic cannot take (a keyless record on a compacted topic). */
  INVALID_RECORD(ErrorKind.INVALID),
  /** A group id that is empty or longer than 249 characters. */
  INVALID_GROUP_ID(ErrorKind.INVALID),
  /** A session timeout outside the group's allowed range. */
  INVALID_SESSION_TIMEOUT(ErrorKind.INVALID),
  /** No such topic, or no such partition of it. */
  UNKNOWN_TOPIC_OR_PARTITION(ErrorKind.NOT_FOUND),
  /** The group has no such member (it left or was expired). */
  UNKNOWN_MEMBER_ID(ErrorKind.NOT_FOUND),
  /** A topic of that name exists. */
  TOPIC_ALREADY_EXISTS(ErrorKind.CONFLICT),
  /** A member's generation is not the group's current one. */
  ILLEGAL_GENERATION(ErrorKind.CONFLICT),
  /** A member asks for an assignor the group does not use. */
  INCONSISTENT_GROUP_PROTOCOL(ErrorKind.CONFLICT),
  /** An idempotent batch's sequence is not the next one expected. */
  OUT_OF_ORDER_SEQUENCE(ErrorKind.CONFLICT),
  /** A producer epoch older than the newest one (a fenced producer). */
  INVALID_PRODUCER_EPOCH(ErrorKind.CONFLICT),
  /** The partition holds no state for the producer id (expired). */
  UNKNOWN_PRODUCER_ID(ErrorKind.CONFLICT),
  /** A fetch offset outside the partition's log (a 416-like client error, mapped to 400). */
  OFFSET_OUT_OF_RANGE(ErrorKind.INVALID),
  /** A record or batch over the topic's {@code max.message.bytes}. */
  RECORD_TOO_LARGE(ErrorKind.TOO_LARGE),
  /** A send on a closed producer. */
  PRODUCER_CLOSED(ErrorKind.INVALID),
  /** A call on a closed consumer. */
  CONSUMER_CLOSED(ErrorKind.INVALID),
  /** No answer from an entity in time; the outcome is unknown. */
  REQUEST_TIMEOUT(ErrorKind.TIMEOUT),
  /** A send was not acknowledged within {@code delivery.timeout.ms}. */
  DELIVERY_TIMEOUT(ErrorKind.TIMEOUT),
  /** The entity cannot answer now (recovering, or the journal is down); retry. */
  NOT_READY(ErrorKind.UNAVAILABLE),
  /** Offsets or a group deleted while the group has members (Kafka's NON_EMPTY_GROUP). */
  NON_EMPTY_GROUP(ErrorKind.CONFLICT);

  private final ErrorKind kind;

  LogError(ErrorKind kind) {
    this.kind = kind;
  }

  @Override
  public ErrorKind kind() {
    return kind;
  }

  /** The typed exception of the embedded API. */
  public LogException exception(String message) {
    return new LogException(kind, code(), message);
  }

  public LogException exception(String message, Throwable cause) {
    return new LogException(kind, code(), message, cause);
  }
}
