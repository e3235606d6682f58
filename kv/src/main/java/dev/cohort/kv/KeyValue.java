package dev.cohort.kv;

import dev.cohort.persistence.CohortSerializable;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One key with its value and MVCC metadata, as etcd's {@code mvccpb.KeyValue}.
 *
 * @param key the key, 1 to 1024 bytes of UTF-8
 * @param value the value bytes (empty when read with {@code keysOnly}); never mutate it
 * @param createRevision the partition revision at which the key was last created
 * @param modRevision the partition revision of the last write to the key
 * @param version the number of writes since the key was created (1 after creation)
 * @param lease the lease the key is attached to, 0 for none
 */
public record KeyValue(
    String key, byte[] value, long createRevision, long modRevision, long version, long lease)
    implements CohortSerializable {

  /** The value as UTF-8 text (undecodable bytes are replaced). */
  public String valueUtf8() {
    return new String(value, StandardCharsets.UTF_8);
  }

  /** True when both carry the same key, value bytes and metadata. */
  public boolean sameAs(KeyValue other) {
    return other != null
        && key.equals(other.key)
        && Arrays.equals(value, other.value)
        && createRevision == other.createRevision
        && modRevision == other.modRevision
        && version == other.version
        && lease == other.lease;
  }

  /** This key without its value bytes. */
  public KeyValue withoutValue() {
    return new KeyValue(key, new byte[0], createRevision, modRevision, version, lease);
  }

  @Override
  public String toString() {
    return "KeyValue["
        + key
        + "="
        + valueUtf8()
        + ", create="
        + createRevision
        + ", mod="
        + modRevision
        + ", version="
        + version
        + ", lease="
        + lease
        + "]";
  }
}
