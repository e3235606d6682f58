package dev.cohort.kv.ap.internal;

import java.nio.charset.StandardCharsets;
import org.apache.pekko.cluster.ddata.Key;

/**
 * The Distributed Data key of one bucket: {@code kvap:<keyspace>:<incarnation>:<bucket>}. The
 * incarnation (from the keyspace registry) is part of the id because Distributed Data never lets a
 * deleted key be used again: a keyspace deleted and created anew gets fresh keys.
 */
public final class ApBucketKey extends Key<ApBucket> {
  public static final String PREFIX = "kvap:";

  public ApBucketKey(String id) {
    super(id);
  }

  public static ApBucketKey of(String keyspace, long incarnation, int bucket) {
    return new ApBucketKey(storagePrefix(keyspace, incarnation) + bucket);
  }

  /** The common prefix of the ids of one keyspace's buckets. */
  public static String storagePrefix(String keyspace, long incarnation) {
    return PREFIX + keyspace + ":" + incarnation + ":";
  }

  /** The keyspace name in a bucket id, or null when {@code id} is not a bucket id. */
  public static String keyspaceOf(String id) {
    if (!id.startsWith(PREFIX)) {
      return null;
    }
    int end = id.indexOf(':', PREFIX.length());
    return end < 0 ? null : id.substring(PREFIX.length(), end);
  }

  /**
   * The bucket of {@code key}: an FNV-1a hash of its UTF-8 bytes, mixed by murmur3's finalizer,
   * modulo {@code buckets}. Part of the storage format: every node must compute the same bucket.
   */
  public static int bucketOf(String key, int buckets) {
    byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
    int h = 0x9747b28c;
    for (byte b : bytes) {
      h = (h ^ (b & 0xff)) * 0x01000193;
    }
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return Math.floorMod(h, buckets);
  }
}
