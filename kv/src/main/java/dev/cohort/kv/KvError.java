package dev.cohort.kv;

import dev.cohort.persistence.ErrorCode;
import dev.cohort.persistence.ErrorKind;

/**
 * Every error code of the kv service, declared once with its kind (which decides the HTTP status).
 * Entities reply with {@link #rejection}, the embedded API throws {@link #exception}, and checks
 * compare constants ({@code e.is(KvError.KEY_NOT_FOUND)}), never spellings. Codes are stable:
 * clients match on them.
 */
public enum KvError implements ErrorCode {
  /** A keyspace name breaks {@code [a-z0-9][a-z0-9._-]{0,63}}. */
  INVALID_KEYSPACE_NAME(ErrorKind.INVALID),
  /** A key is empty or malformed. */
  INVALID_KEY(ErrorKind.INVALID),
  /** A request breaks a rule the message names. */
  INVALID_REQUEST(ErrorKind.INVALID),
  /** A partition count outside 1..{@code cohort.kv.max-partitions}. */
  INVALID_PARTITIONS(ErrorKind.INVALID),
  /** A keyspace mode other than {@code cp} or {@code ap}. */
  UNSUPPORTED_MODE(ErrorKind.INVALID),
  /** The keyspace exists with other settings. */
  KEYSPACE_EXISTS(ErrorKind.CONFLICT),
  /** No such keyspace. */
  KEYSPACE_NOT_FOUND(ErrorKind.NOT_FOUND),
  /** The built-in {@code default} keyspace cannot be deleted. */
  DEFAULT_KEYSPACE(ErrorKind.INVALID),
  /** No such key. */
  KEY_NOT_FOUND(ErrorKind.NOT_FOUND),
  /** A value over {@code cohort.kv.max-value-bytes}. */
  VALUE_TOO_LARGE(ErrorKind.TOO_LARGE),
  /** A key over {@code cohort.kv.max-key-bytes}. */
  KEY_TOO_LARGE(ErrorKind.TOO_LARGE),
  /** No such lease, or it expired or was revoked. */
  LEASE_NOT_FOUND(ErrorKind.NOT_FOUND),
  /** A lease TTL outside the allowed range. */
  INVALID_TTL(ErrorKind.INVALID),
  /** A transaction's compares or ops are malformed. */
  MALFORMED_TXN(ErrorKind.INVALID),
  /** A transaction branch writes one key twice. */
  DUPLICATE_KEY_IN_TXN(ErrorKind.INVALID),
  /** A transaction sent to a partition names keys of another. */
  WRONG_PARTITION(ErrorKind.INVALID),
  /** A prepared cross-partition transaction holds the key; retry. */
  KEY_LOCKED(ErrorKind.CONFLICT),
  /** A cross-partition transaction's coordinator lost it before deciding; nothing was written. */
  TXN_ABORTED(ErrorKind.UNAVAILABLE),
  /** A partition did not vote in time; nothing was written. */
  PARTICIPANT_UNAVAILABLE(ErrorKind.UNAVAILABLE),
  /** A transaction id is already prepared with other writes. */
  TXN_EXISTS(ErrorKind.CONFLICT),
  /** The transaction was already decided. */
  TXN_FINISHED(ErrorKind.CONFLICT),
  /** The partition holds no prepared transaction of that id. */
  TXN_NOT_PREPARED(ErrorKind.NOT_FOUND),
  /** The revision asked for was compacted away. */
  REVISION_COMPACTED(ErrorKind.NOT_FOUND),
  /** The revision asked for is past the partition's current one. */
  FUTURE_REVISION(ErrorKind.INVALID),
  /** A range page token this keyspace did not issue. */
  INVALID_PAGE_TOKEN(ErrorKind.INVALID),
  /** A watch resume token this keyspace did not issue. */
  INVALID_RESUME_TOKEN(ErrorKind.INVALID),
  /** The lock was not acquired within the wait. */
  LOCK_TIMEOUT(ErrorKind.CONFLICT),
  /** No such lock holder (released, or its lease ended). */
  LOCK_NOT_FOUND(ErrorKind.NOT_FOUND),
  /** A lock name breaks the naming rule. */
  INVALID_LOCK_NAME(ErrorKind.INVALID),
  /** Leadership was not won within the wait. */
  ELECTION_TIMEOUT(ErrorKind.CONFLICT),
  /** An election name breaks the naming rule. */
  INVALID_ELECTION_NAME(ErrorKind.INVALID),
  /** The caller does not lead the election (any more). */
  NOT_LEADER(ErrorKind.CONFLICT),
  /** The election has no leader. */
  NO_LEADER(ErrorKind.NOT_FOUND),
  /** The waiter is not yet first in its queue (internal to locks and elections). */
  NOT_FIRST(ErrorKind.CONFLICT),
  /** A watcher fell too far behind; resume with the last token. */
  WATCH_OVERFLOW(ErrorKind.UNAVAILABLE),
  /** This node no longer owns the partition; retry (the entity moves). */
  STALE_OWNER(ErrorKind.UNAVAILABLE),
  /** The journal did not answer the ownership check in time. */
  JOURNAL_UNAVAILABLE(ErrorKind.UNAVAILABLE),
  /** A partition answered with a reply the caller did not expect (a bug). */
  UNEXPECTED_REPLY(ErrorKind.INVALID),
  /** No answer within the deadline; the outcome is unknown. */
  TIMEOUT(ErrorKind.TIMEOUT),
  /** The service cannot answer now. */
  UNAVAILABLE(ErrorKind.UNAVAILABLE),
  /** AP keyspaces: a consistency other than one, quorum or all. */
  INVALID_CONSISTENCY(ErrorKind.INVALID),
  /** AP keyspaces: a CP-only operation; the message names the CP alternative. */
  NOT_SUPPORTED_IN_AP_MODE(ErrorKind.INVALID),
  /** AP keyspaces: the consistency level was not reached in time. */
  CONSISTENCY_UNAVAILABLE(ErrorKind.UNAVAILABLE),
  /** AP keyspaces: a write's timestamp is too far ahead of this node's clock. */
  CLOCK_OFFSET_EXCEEDED(ErrorKind.UNAVAILABLE),
  /** AP keyspaces: a replication factor outside 1..15. */
  INVALID_REPLICATION_FACTOR(ErrorKind.INVALID),
  /** AP keyspaces: another replication factor is recorded for the keyspace (fixed at creation). */
  REPLICATION_FACTOR_CONFLICT(ErrorKind.CONFLICT),
  /** An AP-only operation (endpoints, repair) on a CP keyspace. */
  NOT_SUPPORTED_IN_CP_MODE(ErrorKind.INVALID),
  /**
   * The node holding the partition is unreachable and a request to it is still unanswered: this one
   * was not sent, nothing was written; retry (the partition moves once the node is downed).
   */
  PARTITION_UNREACHABLE(ErrorKind.UNAVAILABLE),
  /** A lease grant named an id that is granted (or still being revoked). */
  LEASE_EXISTS(ErrorKind.CONFLICT);

  private final ErrorKind kind;

  KvError(ErrorKind kind) {
    this.kind = kind;
  }

  @Override
  public ErrorKind kind() {
    return kind;
  }

  /** The typed exception of the embedded API. */
  public KvException exception(String message) {
    return new KvException(this, message);
  }

  public KvException exception(String message, Throwable cause) {
    return new KvException(kind, code(), message, cause);
  }
}
