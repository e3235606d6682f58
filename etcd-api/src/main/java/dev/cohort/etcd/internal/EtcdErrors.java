package dev.cohort.etcd.internal;

import dev.cohort.kv.KvError;
import dev.cohort.kv.KvException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Arrays;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The gRPC statuses the etcd API answers with, with etcd's own messages where clients test them
 * (etcd's {@code api/v3rpc/rpctypes}), and the one mapping from kv's error codes to them. A status
 * built here is the only way an error leaves the listener. Stateless.
 */
public final class EtcdErrors {
  private EtcdErrors() {}

  public static StatusRuntimeException emptyKey() {
    return invalid("etcdserver: key is not provided");
  }

  public static StatusRuntimeException keyNotFound() {
    return invalid("etcdserver: key not found");
  }

  public static StatusRuntimeException valueProvided() {
    return invalid("etcdserver: value is provided");
  }

  public static StatusRuntimeException leaseProvided() {
    return invalid("etcdserver: lease is provided");
  }

  public static StatusRuntimeException tooManyOps() {
    return invalid("etcdserver: too many operations in txn request");
  }

  public static StatusRuntimeException duplicateKey() {
    return invalid("etcdserver: duplicate key given in txn request");
  }

  public static StatusRuntimeException requestTooLarge() {
    return invalid("etcdserver: request is too large");
  }

  public static StatusRuntimeException compacted() {
    return Status.OUT_OF_RANGE
        .withDescription("etcdserver: mvcc: required revision has been compacted")
        .asRuntimeException();
  }

  public static StatusRuntimeException futureRevision() {
    return Status.OUT_OF_RANGE
        .withDescription("etcdserver: mvcc: required revision is a future revision")
        .asRuntimeException();
  }

  public static StatusRuntimeException leaseNotFound() {
    return Status.NOT_FOUND
        .withDescription("etcdserver: requested lease not found")
        .asRuntimeException();
  }

  public static StatusRuntimeException leaseExists() {
    return Status.FAILED_PRECONDITION
        .withDescription("etcdserver: lease already exists")
        .asRuntimeException();
  }

  public static StatusRuntimeException leaseTtlTooLarge() {
    return Status.OUT_OF_RANGE
        .withDescription("etcdserver: too large lease TTL")
        .asRuntimeException();
  }

  public static StatusRuntimeException timeout() {
    return Status.UNAVAILABLE.withDescription("etcdserver: request timed out").asRuntimeException();
  }

  /**
   * An optimistic request given up after its reads kept going stale (etcd has no such answer);
   * nothing of it was applied, so the client may send it again.
   */
  public static StatusRuntimeException contended(String what) {
    return Status.ABORTED.withDescription("cohort: " + what).asRuntimeException();
  }

  public static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }

  /** The status for any failure of a kv call (or of this module's own checks). */
  public static StatusRuntimeException of(Throwable failure) {
    Throwable t = unwrap(failure);
    if (t instanceof StatusRuntimeException s) {
      return s;
    }
    if (t instanceof KvException e) {
      KvError error = Arrays.stream(KvError.values()).filter(e::is).findFirst().orElse(null);
      if (error == null) {
        return invalid("cohort: " + e.getMessage() + " (" + e.code() + ")");
      }
      return switch (error) {
        case LEASE_NOT_FOUND -> leaseNotFound();
        case LEASE_EXISTS -> leaseExists();
        case REVISION_COMPACTED -> compacted();
        case FUTURE_REVISION -> futureRevision();
        case KEY_NOT_FOUND -> keyNotFound();
        case DUPLICATE_KEY_IN_TXN -> duplicateKey();
        case VALUE_TOO_LARGE -> requestTooLarge();
        case TIMEOUT -> timeout();
        case KEY_LOCKED,
            TXN_ABORTED,
            PARTICIPANT_UNAVAILABLE,
            UNAVAILABLE,
            STALE_OWNER,
            JOURNAL_UNAVAILABLE,
            WATCH_OVERFLOW,
            KEYSPACE_NOT_FOUND ->
            Status.UNAVAILABLE.withDescription("cohort: " + e.getMessage()).asRuntimeException();
        default -> invalid("cohort: " + e.getMessage() + " (" + e.code() + ")");
      };
    }
    return Status.INTERNAL.withDescription("cohort: " + t).withCause(t).asRuntimeException();
  }

  /** Whether a failure is kv's {@code error}. */
  public static boolean is(Throwable failure, KvError error) {
    return unwrap(failure) instanceof KvException e && e.is(error);
  }

  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
