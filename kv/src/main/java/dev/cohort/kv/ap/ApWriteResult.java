package dev.cohort.kv.ap;

/**
 * The answer to a put or delete that reached its consistency level.
 *
 * @param key the key
 * @param timestamp the hybrid logical clock timestamp the write was given
 * @param previous the live value this node's replica held for the key just before the write, or
 *     null (at {@code ONE} another replica may have held a newer one)
 */
public record ApWriteResult(String key, long timestamp, ApValue previous) {

  /** Whether this node's replica held a live value for the key just before the write. */
  public boolean existed() {
    return previous != null;
  }
}
