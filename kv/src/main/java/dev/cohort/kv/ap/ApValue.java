package dev.cohort.kv.ap;

import java.nio.charset.StandardCharsets;

/**
 * A key's value as one replica (or the merge of the replicas a read reached) holds it.
 *
 * @param key the key
 * @param value the value bytes; never mutate them
 * @param timestamp the hybrid logical clock timestamp of the write (physical millis in the high 48
 *     bits, a logical counter in the low 16): the register's order
 * @param writer the address of the node that wrote it
 * @param expiresAtMillis when the key expires (wall-clock millis), 0 for no TTL
 */
public record ApValue(
    String key, byte[] value, long timestamp, String writer, long expiresAtMillis) {

  public String valueUtf8() {
    return new String(value, StandardCharsets.UTF_8);
  }
}
