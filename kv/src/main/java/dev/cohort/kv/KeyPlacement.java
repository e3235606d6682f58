package dev.cohort.kv;

/**
 * Which text of a key decides its partition in a CP keyspace: the key's hash tag — the text between
 * its first '{' and the next '}', when that text is not empty (as in Redis Cluster) — or else the
 * whole key. Keys with the same placement text share a partition, so a transaction over them stays
 * in one partition (no two-phase commit) and callers can co-locate companion keys with a key they
 * know. Part of the storage format: it never changes for existing keyspaces.
 */
public final class KeyPlacement {
  private KeyPlacement() {}

  /** The hash tag of {@code key}, or the whole key when it has none. */
  public static String placementText(String key) {
    int open = key.indexOf('{');
    if (open >= 0) {
      int close = key.indexOf('}', open + 1);
      if (close > open + 1) {
        return key.substring(open + 1, close);
      }
    }
    return key;
  }
}
