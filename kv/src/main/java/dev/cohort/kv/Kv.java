package dev.cohort.kv;

import dev.cohort.kv.ap.Consistency;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Cohort's CP key-value service, embedded: keyspaces split into partitions, keys with revisions,
 * compare-and-swap transactions, leases, watches, locks and elections, with etcd v3's semantics
 * except that revisions are per partition (see the module README).
 *
 * <p>Every operation returns a {@link CompletionStage} that fails with a {@link KvException}
 * carrying a stable error code; a failed operation changes nothing. A stage that fails with {@code
 * timeout} may or may not have taken effect. Operations on one partition are linearizable; a read
 * over several partitions is linearizable per partition but not a point-in-time snapshot of all.
 *
 * <p>Keys are 1 to 1024 bytes of UTF-8. A key containing a hash tag, {@code {...}} with at least
 * one character between the braces, is placed by the tag only: keys with the same tag share a
 * partition and can be used together in one transaction.
 *
 * <p>Thread-safe.
 */
public interface Kv {

  /** The keyspace that always exists. */
  String DEFAULT_KEYSPACE = "default";

  // Keyspaces

  /**
   * Creates a keyspace, or returns it when it exists with the same settings ({@link
   * KeyspaceInfo#created()} false); fails with {@code keyspace_exists} when it exists with others.
   */
  CompletionStage<KeyspaceInfo> createKeyspace(String name, KeyspaceSpec spec);

  /** The keyspace, or {@code keyspace_not_found}. */
  CompletionStage<KeyspaceInfo> keyspace(String name);

  /** The keyspace with its key count and size. */
  CompletionStage<KeyspaceStats> keyspaceStats(String name);

  /** Every keyspace, {@code default} included, sorted by name. */
  CompletionStage<List<KeyspaceInfo>> keyspaces();

  /** Deletes a keyspace and its keys; {@code default} cannot be deleted. */
  CompletionStage<Void> deleteKeyspace(String name);

  // Keys

  CompletionStage<PutResult> put(String keyspace, String key, byte[] value, PutOptions options);

  default CompletionStage<PutResult> put(String keyspace, String key, String value) {
    return put(keyspace, key, value.getBytes(StandardCharsets.UTF_8), PutOptions.NONE);
  }

  /** The key's current value, or {@code key_not_found}. */
  CompletionStage<GetResult> get(String keyspace, String key);

  /**
   * The key as it was at {@code revision} of its partition; {@code revision_compacted} when that
   * history is gone, {@code future_revision} when the partition has not reached it.
   */
  CompletionStage<GetResult> get(String keyspace, String key, long revision);

  CompletionStage<RangeResult> range(String keyspace, RangeRequest request);

  /** Deletes one key; deleting a missing key succeeds with {@code deleted == 0}. */
  CompletionStage<DeleteResult> delete(String keyspace, String key, boolean prevKv);

  /** Deletes every key with the prefix (an empty prefix deletes every key). */
  CompletionStage<DeleteResult> deletePrefix(String keyspace, String prefix, boolean prevKv);

  CompletionStage<TxnResult> txn(String keyspace, TxnRequest txn);

  // AP keyspaces (mode "ap", see kv/README-ap.md). The operations above work on AP keyspaces too,
  // at cohort.kv.ap.default-consistency; these take the consistency per request. On a CP keyspace
  // the consistency is ignored: every CP operation is linearizable, stronger than ALL. Features
  // only CP keyspaces have (transactions, leases, revisions, resume tokens) fail on an AP keyspace
  // with not_supported_in_ap_mode (400), naming the CP alternative.

  /**
   * Writes at {@code consistency} (null: the default); on an AP keyspace {@code ttlSeconds > 0}
   * expires the key on every replica. On a CP keyspace {@code ttlSeconds} must be 0 (attach a lease
   * instead). Fails with {@code consistency_unavailable} (503) when the level is not reached in
   * time; the write may still have been applied on some replicas.
   */
  CompletionStage<PutResult> put(
      String keyspace,
      String key,
      byte[] value,
      PutOptions options,
      Consistency consistency,
      long ttlSeconds);

  /** The key's current value read at {@code consistency} (null: the default). */
  CompletionStage<GetResult> get(String keyspace, String key, Consistency consistency);

  /** Deletes one key at {@code consistency} (null: the default). */
  CompletionStage<DeleteResult> delete(
      String keyspace, String key, boolean prevKv, Consistency consistency);

  /**
   * A range read at {@code consistency} (null: the default). On an AP keyspace it is best effort:
   * not a snapshot, and a from/to range scans the whole keyspace.
   */
  CompletionStage<RangeResult> range(
      String keyspace, RangeRequest request, Consistency consistency);

  /**
   * A resume token for a watch of {@code keyspace} that starts right after the given positions (for
   * example the header of a put); partitions not named start at their current revision.
   */
  CompletionStage<String> resumeToken(String keyspace, List<Header> headers);

  // Leases

  /** Grants a lease of {@code ttl} (whole seconds, at least 1). */
  CompletionStage<LeaseGrant> grantLease(Duration ttl);

  /**
   * Grants lease {@code id} (positive; 0 lets the service choose, as {@link
   * #grantLease(Duration)}), as etcd's {@code LeaseGrant} with an {@code ID}; {@code lease_exists}
   * when that lease is granted or its revocation is not finished.
   */
  CompletionStage<LeaseGrant> grantLease(long id, Duration ttl);

  /** Renews the lease to its full TTL; the answer carries the remaining TTL. */
  CompletionStage<LeaseInfo> keepAlive(long leaseId);

  /** The lease with its remaining TTL and attached keys, or {@code lease_not_found}. */
  CompletionStage<LeaseInfo> lease(long leaseId);

  /** Revokes the lease and deletes its keys; completes once they are deleted. */
  CompletionStage<Void> revokeLease(long leaseId);

  /**
   * The ids of every lease granted and not yet expired or revoked, ascending, as etcd's {@code
   * LeaseLeases}. Leases are cluster-wide, so this lists the leases of every keyspace and of every
   * lock and election.
   */
  CompletionStage<List<Long>> leases();

  // Watches

  /**
   * The changes of a key or prefix, from {@code request.from()} or from now, as a stream that never
   * ends by itself. Fails with {@code watch_overflow} when the consumer falls behind by more than
   * {@code cohort.kv.watch.buffer-events}; resume from the last token.
   *
   * <p>The materialized value completes once the watch is established: every change committed after
   * it completes reaches the stream (the point etcd marks with its {@code created} answer). It
   * fails with the stream's {@code KvException} when the request or keyspace is refused, and with
   * {@code timeout} when a partition does not answer within the ask timeout (the stream then keeps
   * subscribing).
   */
  Source<WatchEvent, CompletionStage<Done>> watch(String keyspace, WatchRequest request);

  // Locks

  /**
   * Acquires the lock {@code name} for a new lease of {@code ttl}, waiting up to {@code wait} in
   * arrival order; fails with {@code lock_timeout}. The returned handle's close releases it.
   */
  CompletionStage<KvLock> lock(String name, Duration ttl, Duration wait);

  /** Releases a lock by its key (as returned in {@link KvLock#key()}); {@code lock_not_found}. */
  CompletionStage<Void> unlock(String name, String key);

  // Elections

  /**
   * Campaigns in election {@code name} with {@code value} on a new lease of {@code ttl}, waiting up
   * to {@code wait} to become leader ({@code election_timeout}). The answer is this campaigner's
   * leadership; keep it to proclaim or resign.
   */
  CompletionStage<Leader> campaign(String name, byte[] value, Duration ttl, Duration wait);

  /** Changes the leader's value; {@code not_leader} when {@code leadership} no longer leads. */
  CompletionStage<Leader> proclaim(Leader leadership, byte[] value);

  /** Gives up leadership (revokes its lease). */
  CompletionStage<Void> resign(Leader leadership);

  /** The current leader, or {@code no_leader}. */
  CompletionStage<Leader> leader(String name);

  /** The current leader (when there is one) and then every change of leader or of its value. */
  Source<Leader, NotUsed> observe(String name);
}
