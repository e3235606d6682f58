package dev.cohort.kv.internal;

import dev.cohort.kv.KeyPlacement;
import dev.cohort.kv.KvError;
import dev.cohort.kv.KvException;
import dev.cohort.kv.KvSettings;
import dev.cohort.persistence.Rejection;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Key rules shared by the API edge and the partition entity: validation, placement of a key in a
 * partition, and prefix ranges. Stateless and thread-safe.
 *
 * <p>Placement is part of the storage format: a key's partition is FNV-1a (64 bit) of the UTF-8
 * bytes of its {@link KeyPlacement#placementText placement text} (the hash tag, or the whole key
 * when it has none), modulo the partition count. Never change this function: it would move keys
 * away from the entity that holds them.
 */
public final class Keys {
  private static final Pattern KEYSPACE_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  private Keys() {}

  public static boolean validKeyspaceName(String name) {
    return name != null && KEYSPACE_NAME.matcher(name).matches();
  }

  public static void checkKeyspaceName(String name) {
    if (!validKeyspaceName(name)) {
      throw KvError.INVALID_KEYSPACE_NAME.exception(
          "keyspace name '" + name + "' must match [a-z0-9][a-z0-9._-]{0,63}");
    }
  }

  /** The rejection for an invalid key, or null when the key is valid. */
  public static Rejection keyProblem(String key) {
    if (key == null || key.isEmpty()) {
      return KvError.INVALID_KEY.rejection("key must not be empty");
    }
    int bytes = utf8Length(key);
    if (bytes > KvSettings.MAX_KEY_BYTES) {
      return KvError.KEY_TOO_LARGE.rejection(
          "key is " + bytes + " bytes of UTF-8; the limit is " + KvSettings.MAX_KEY_BYTES);
    }
    return null;
  }

  /** The rejection for an oversized value, or null. */
  public static Rejection valueProblem(byte[] value, int maxValueBytes) {
    if (value == null) {
      return KvError.INVALID_REQUEST.rejection("value must not be null");
    }
    if (value.length > maxValueBytes) {
      return KvError.VALUE_TOO_LARGE.rejection(
          "value is "
              + value.length
              + " bytes; the limit is "
              + maxValueBytes
              + " (cohort.kv.max-value-bytes)");
    }
    return null;
  }

  public static void checkKey(String key) {
    Rejection problem = keyProblem(key);
    if (problem != null) {
      throw KvException.of(problem);
    }
  }

  /** The partition of {@code key} among {@code partitions}. */
  public static int partitionOf(String key, int partitions) {
    return (int) Long.remainderUnsigned(fnv1a(KeyPlacement.placementText(key)), partitions);
  }

  /**
   * The single partition every key with this prefix falls in, or -1 when they may be in any: a
   * prefix that contains a complete hash tag pins its keys to the tag's partition.
   */
  public static int partitionOfPrefix(String prefix, int partitions) {
    int open = prefix.indexOf('{');
    if (open < 0) {
      return -1;
    }
    int close = prefix.indexOf('}', open + 1);
    if (close <= open + 1) {
      return -1;
    }
    return partitionOf(prefix, partitions);
  }

  private static long fnv1a(String text) {
    long hash = FNV_OFFSET;
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      hash ^= (b & 0xff);
      hash *= FNV_PRIME;
    }
    return hash;
  }

  /**
   * The smallest string greater than every string starting with {@code prefix}, or null when none
   * exists (the prefix is empty or all U+FFFF). Ranges are over Java's natural String order.
   */
  public static String prefixEnd(String prefix) {
    StringBuilder b = new StringBuilder(prefix);
    for (int i = b.length() - 1; i >= 0; i--) {
      char c = b.charAt(i);
      if (c < Character.MAX_VALUE) {
        b.setCharAt(i, (char) (c + 1));
        b.setLength(i + 1);
        return b.toString();
      }
    }
    return null;
  }

  public static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }
}
