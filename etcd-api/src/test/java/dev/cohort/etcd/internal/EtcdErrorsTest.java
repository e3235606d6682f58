package dev.cohort.etcd.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cohort.kv.KvError;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** kv's errors reach etcd clients with the codes and messages etcd's own server uses. */
class EtcdErrorsTest {
  private static StatusRuntimeException of(KvError error) {
    // as a failed CompletionStage delivers it
    return EtcdErrors.of(new CompletionException(error.exception("from kv")));
  }

  private static void assertStatus(Status.Code code, String message, StatusRuntimeException s) {
    assertEquals(code, s.getStatus().getCode());
    assertEquals(message, s.getStatus().getDescription());
  }

  @Test
  void etcdMessagesWhereClientsTestThem() {
    assertStatus(
        Status.Code.NOT_FOUND,
        "etcdserver: requested lease not found",
        of(KvError.LEASE_NOT_FOUND));
    assertStatus(
        Status.Code.OUT_OF_RANGE,
        "etcdserver: mvcc: required revision has been compacted",
        of(KvError.REVISION_COMPACTED));
    assertStatus(
        Status.Code.OUT_OF_RANGE,
        "etcdserver: mvcc: required revision is a future revision",
        of(KvError.FUTURE_REVISION));
    assertStatus(
        Status.Code.INVALID_ARGUMENT,
        "etcdserver: duplicate key given in txn request",
        of(KvError.DUPLICATE_KEY_IN_TXN));
    assertStatus(
        Status.Code.INVALID_ARGUMENT,
        "etcdserver: request is too large",
        of(KvError.VALUE_TOO_LARGE));
    assertStatus(Status.Code.UNAVAILABLE, "etcdserver: request timed out", of(KvError.TIMEOUT));
    assertStatus(
        Status.Code.FAILED_PRECONDITION,
        "etcdserver: lease already exists",
        of(KvError.LEASE_EXISTS));
  }

  @Test
  void retryableKvErrorsAreUnavailableAndTheRestInvalid() {
    for (KvError retryable :
        new KvError[] {KvError.KEY_LOCKED, KvError.STALE_OWNER, KvError.JOURNAL_UNAVAILABLE}) {
      assertEquals(Status.Code.UNAVAILABLE, of(retryable).getStatus().getCode(), retryable.name());
    }
    StatusRuntimeException other = of(KvError.INVALID_KEY);
    assertEquals(Status.Code.INVALID_ARGUMENT, other.getStatus().getCode());
    assertEquals("cohort: from kv (invalid_key)", other.getStatus().getDescription());
  }

  @Test
  void statusesPassThroughAndOtherFailuresAreInternal() {
    StatusRuntimeException own = EtcdErrors.tooManyOps();
    assertEquals(own, EtcdErrors.of(new CompletionException(own)));
    assertEquals(
        Status.Code.INTERNAL,
        EtcdErrors.of(new IllegalStateException("bug")).getStatus().getCode());
  }
}
