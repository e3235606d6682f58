package dev.cohort.kv;

/**
 * What a watch follows: one key, or every key with a prefix (an empty prefix follows the whole
 * keyspace).
 *
 * @param key the key, or null for a prefix watch
 * @param prefix the prefix, or null for a key watch
 * @param from a resume token (the {@link WatchEvent#token()} of the last event seen, or the token
 *     of a read) to continue after, with no gap and no duplicate; null to start at the current
 *     revision of each partition
 * @param prevKv include each change's previous value
 */
public record WatchRequest(String key, String prefix, String from, boolean prevKv) {

  public static WatchRequest key(String key) {
    return new WatchRequest(key, null, null, false);
  }

  public static WatchRequest prefix(String prefix) {
    return new WatchRequest(null, prefix, null, false);
  }

  public WatchRequest from(String token) {
    return new WatchRequest(key, prefix, token, prevKv);
  }

  public WatchRequest withPrevKv() {
    return new WatchRequest(key, prefix, from, true);
  }
}
