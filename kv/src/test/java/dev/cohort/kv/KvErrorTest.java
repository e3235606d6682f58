package dev.cohort.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Clients match on kv's codes and statuses: a released one must not change by accident. */
class KvErrorTest {
  private static final List<String> RELEASED =
      List.of(
          "invalid_keyspace_name 400",
          "invalid_key 400",
          "invalid_request 400",
          "invalid_partitions 400",
          "unsupported_mode 400",
          "keyspace_exists 409",
          "keyspace_not_found 404",
          "default_keyspace 400",
          "key_not_found 404",
          "value_too_large 413",
          "key_too_large 413",
          "lease_not_found 404",
          "invalid_ttl 400",
          "malformed_txn 400",
          "duplicate_key_in_txn 400",
          "wrong_partition 400",
          "key_locked 409",
          "txn_aborted 503",
          "participant_unavailable 503",
          "txn_exists 409",
          "txn_finished 409",
          "txn_not_prepared 404",
          "revision_compacted 404",
          "future_revision 400",
          "invalid_page_token 400",
          "invalid_resume_token 400",
          "lock_timeout 409",
          "lock_not_found 404",
          "invalid_lock_name 400",
          "election_timeout 409",
          "invalid_election_name 400",
          "not_leader 409",
          "no_leader 404",
          "not_first 409",
          "watch_overflow 503",
          "stale_owner 503",
          "journal_unavailable 503",
          "unexpected_reply 400",
          "timeout 504",
          "unavailable 503",
          "invalid_consistency 400",
          "not_supported_in_ap_mode 400",
          "consistency_unavailable 503",
          "clock_offset_exceeded 503",
          "invalid_replication_factor 400",
          "replication_factor_conflict 409",
          "not_supported_in_cp_mode 400",
          "partition_unreachable 503",
          "lease_exists 409");

  @Test
  void everyReleasedCodeKeepsItsSpellingAndStatus() {
    List<String> declared =
        Arrays.stream(KvError.values())
            .map(e -> e.code() + " " + e.kind().httpStatus())
            .collect(Collectors.toList());
    assertEquals(RELEASED, declared);
  }

  @Test
  void exceptionsAndRejectionsCarryTheDeclaredCode() {
    KvException e = KvError.KEY_LOCKED.exception("held by txn 7");
    assertEquals("key_locked", e.code());
    assertEquals(409, e.kind().httpStatus());
    assertEquals("lease_not_found", KvError.LEASE_NOT_FOUND.rejection("gone").toException().code());
  }
}
