package dev.cohort.kv;

import dev.cohort.persistence.CohortException;
import dev.cohort.persistence.ErrorKind;
import dev.cohort.persistence.Rejection;

/**
 * The error every {@link Kv} operation fails its {@code CompletionStage} with. The {@link #code()}
 * is stable and is the one the HTTP gateway returns; {@link #kind()} decides the HTTP status.
 *
 * <p>Codes: {@code invalid_keyspace_name}, {@code invalid_key}, {@code invalid_request}, {@code
 * invalid_partitions}, {@code unsupported_mode}, {@code keyspace_exists} (409, other settings),
 * {@code keyspace_not_found} (404), {@code default_keyspace} (400, delete of {@code default}),
 * {@code key_not_found} (404), {@code value_too_large} (413), {@code key_too_large} (413), {@code
 * lease_not_found} (404), {@code invalid_ttl}, {@code malformed_txn}, {@code duplicate_key_in_txn},
 * {@code key_locked} (409, a prepared cross-partition transaction holds the key; retry), {@code
 * txn_aborted} (503, a cross-partition transaction's coordinator lost it before deciding; nothing
 * was written), {@code participant_unavailable} (503, a partition did not vote in time; nothing
 * was written), {@code revision_compacted}
 * (404), {@code future_revision} (400), {@code invalid_page_token}, {@code invalid_resume_token},
 * {@code lock_timeout} (409), {@code lock_not_found} (404), {@code invalid_lock_name}, {@code
 * election_timeout} (409), {@code not_leader} (409), {@code no_leader} (404), {@code
 * watch_overflow} (503, resume with the last token), {@code timeout} (504, outcome unknown),
 * {@code unavailable} (503); for AP keyspaces also {@code invalid_consistency} (400), {@code
 * not_supported_in_ap_mode} (400, names the CP alternative) and {@code consistency_unavailable}
 * (503, the consistency level was not reached in time).
 */
public class KvException extends CohortException {

  public KvException(ErrorKind kind, String code, String message) {
    super(kind, code, message);
  }

  public KvException(ErrorKind kind, String code, String message, Throwable cause) {
    super(kind, code, message, cause);
  }

  public static KvException of(Rejection rejection) {
    return new KvException(rejection.kind(), rejection.code(), rejection.message());
  }

  public static KvException invalid(String code, String message) {
    return new KvException(ErrorKind.INVALID, code, message);
  }

  public static KvException notFound(String code, String message) {
    return new KvException(ErrorKind.NOT_FOUND, code, message);
  }

  public static KvException conflict(String code, String message) {
    return new KvException(ErrorKind.CONFLICT, code, message);
  }

  public static KvException tooLarge(String code, String message) {
    return new KvException(ErrorKind.TOO_LARGE, code, message);
  }
}
