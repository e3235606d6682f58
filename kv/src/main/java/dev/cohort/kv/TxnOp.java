package dev.cohort.kv;

import dev.cohort.persistence.CohortSerializable;
import java.nio.charset.StandardCharsets;

/** One operation of a transaction branch. */
public sealed interface TxnOp extends CohortSerializable {

  /** The key the operation touches. */
  String key();

  /** Puts {@code value} under {@code key}, as {@link Kv#put}. */
  record Put(String key, byte[] value, PutOptions options) implements TxnOp {
    public Put(String key, String value) {
      this(key, value.getBytes(StandardCharsets.UTF_8), PutOptions.NONE);
    }
  }

  /** Reads one key (a missing key gives an empty response, not an error). */
  record Get(String key) implements TxnOp {}

  /** Deletes one key. */
  record Delete(String key, boolean prevKv) implements TxnOp {
    public Delete(String key) {
      this(key, false);
    }
  }
}
