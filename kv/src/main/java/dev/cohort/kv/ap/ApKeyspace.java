package dev.cohort.kv.ap;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

/**
 * One AP keyspace: each key replicated on the first {@code replicationFactor} nodes clockwise from
 * its token on the ring, a last-writer-wins register ordered by hybrid logical clock timestamps,
 * read and written through any node (the coordinator) at a per-request {@link Consistency}.
 *
 * <p>Every operation returns a stage that fails with a {@link dev.cohort.kv.KvException}: {@code
 * invalid_key}, {@code key_too_large}, {@code value_too_large}, {@code invalid_ttl}, {@code
 * invalid_request} (400/413, nothing stored); {@code key_not_found} (404); {@code
 * consistency_unavailable} (503) when too few replicas are alive for the level (nothing written) or
 * too few acknowledged in time. A write that timed out may have been applied on some replicas and
 * spreads from there (it is not rolled back, as with a Cassandra write timeout); it is never
 * reported as a success at a weaker level.
 *
 * <p>Thread-safe.
 */
public interface ApKeyspace {

  String name();

  /**
   * Writes {@code value} under {@code key}; {@code ttlSeconds > 0} makes the key expire (read as
   * absent, then purged) on every replica that long after the write.
   */
  CompletionStage<ApWriteResult> put(
      String key, byte[] value, long ttlSeconds, Consistency consistency);

  /** The key's value, or {@code key_not_found} (also when it was deleted or expired). */
  CompletionStage<ApValue> get(String key, Consistency consistency);

  /** Writes a tombstone for {@code key}; succeeds whether or not the key existed. */
  CompletionStage<ApWriteResult> delete(String key, Consistency consistency);

  /**
   * The live keys starting with {@code prefix} (empty: all), sorted, at most {@code limit} (0: no
   * limit). Best effort: every live node's store is scanned and the newest entry of each key kept,
   * after checking that every token range has the live replicas {@code consistency} needs; not a
   * point-in-time snapshot, and it reads the whole keyspace (keys are placed by hash).
   */
  CompletionStage<ApRangeResult> range(String prefix, int limit, Consistency consistency);

  /**
   * The changes of this node's store to keys starting with {@code prefix} (the keys this node
   * replicates), from now on, as each is written, as a stream that never ends by itself. Fails with
   * {@code watch_overflow} when the consumer falls {@code cohort.kv.ap.watch.buffer-events} behind.
   */
  Source<ApWatchEvent, NotUsed> watch(String prefix);

  /** The key's replicas on the ring; fails with {@code invalid_key}. */
  ApEndpoints endpoints(String key);

  /** The keyspace's replication factor. */
  int replicationFactor();

  /**
   * Anti-entropy repair: compares this node's hash trees of every token range it replicates with
   * the other live replicas' and exchanges the entries that differ, newest winning.
   */
  CompletionStage<ApRepairResult> repair();

  /**
   * Deletes this keyspace incarnation's data on every live node (best effort: a node that is down
   * keeps its copy, which no request can reach any more since a new incarnation has other storage
   * keys). Completes with the number of nodes that dropped it.
   */
  CompletionStage<Integer> drop();
}
