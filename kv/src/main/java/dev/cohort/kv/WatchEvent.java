package dev.cohort.kv;

/**
 * One change seen by a watch. Changes are ordered per partition; events of different partitions
 * interleave in no defined order.
 *
 * <p>When the history a resume needed was compacted, the watch first sends, for each such
 * partition, the current state of every matching key as {@code PUT} events with {@code snapshot}
 * true (all at that partition's current revision) and then continues with live changes. A client
 * that keeps a copy should, on the first snapshot event of a partition, drop the keys of that
 * partition it holds: keys deleted during the compacted gap are not reported.
 *
 * @param type put or delete
 * @param kv the key after the change (for a delete: the key with its delete revision as
 *     modRevision, an empty value and version 0)
 * @param prevKv the key before the change, when requested and it existed; else null
 * @param header the partition and revision of the change
 * @param snapshot whether this event is part of a snapshot sent after a compacted resume
 * @param token the resume token to continue after this event
 */
public record WatchEvent(
    Type type, KeyValue kv, KeyValue prevKv, Header header, boolean snapshot, String token) {

  /** The kind of change. */
  public enum Type {
    PUT,
    DELETE
  }
}
