package dev.cohort.kv.ap;

/**
 * A change of this node's replica seen by a watch: a local write, or a write of another node
 * arriving by replication.
 *
 * @param type put or delete (a delete is also reported when a value is found expired and purged)
 * @param key the key
 * @param value the new value for a put, null for a delete
 * @param timestamp the hybrid logical clock timestamp of the change (for a purge, of the value)
 */
public record ApWatchEvent(Type type, String key, byte[] value, long timestamp) {

  public enum Type {
    PUT,
    DELETE
  }
}
