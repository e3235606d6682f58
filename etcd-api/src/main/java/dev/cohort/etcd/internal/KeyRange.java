package dev.cohort.etcd.internal;

import com.google.protobuf.ByteString;
import dev.cohort.kv.Compare;
import dev.cohort.kv.RangeRequest;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.WatchRequest;

/**
 * The key interval of an etcd request ({@code key}, {@code range_end}) in the forms etcd clients
 * send: one key (no range end), a prefix (range end = the key with its last byte incremented), from
 * a key on (range end {@code "\0"}), every key (key and range end {@code "\0"}), or {@code [key,
 * rangeEnd)}. Immutable.
 *
 * @param kind which form
 * @param key the key, prefix or first key ({@code ""} for {@link Kind#ALL})
 * @param end the exclusive end of {@link Kind#BETWEEN}, else null
 */
public record KeyRange(Kind kind, String key, String end) {
  /** The forms of a key interval. */
  public enum Kind {
    SINGLE,
    PREFIX,
    FROM,
    ALL,
    BETWEEN
  }

  public static KeyRange of(ByteString key, ByteString rangeEnd) {
    if (rangeEnd.isEmpty()) {
      return new KeyRange(Kind.SINGLE, EtcdStore.key(key), null);
    }
    boolean endIsZero = rangeEnd.size() == 1 && rangeEnd.byteAt(0) == 0;
    if (endIsZero && (key.isEmpty() || (key.size() == 1 && key.byteAt(0) == 0))) {
      return new KeyRange(Kind.ALL, "", null);
    }
    if (endIsZero) {
      return new KeyRange(Kind.FROM, EtcdStore.key(key), null);
    }
    if (key.isEmpty()) {
      throw EtcdErrors.emptyKey();
    }
    if (rangeEnd.equals(prefixEnd(key))) {
      return new KeyRange(Kind.PREFIX, EtcdStore.text(key), null);
    }
    return new KeyRange(Kind.BETWEEN, EtcdStore.text(key), EtcdStore.text(rangeEnd));
  }

  /**
   * etcd's prefix end: the last byte below 0xff incremented, the rest cut; {@code "\0"} if none.
   */
  static ByteString prefixEnd(ByteString prefix) {
    byte[] end = prefix.toByteArray();
    for (int i = end.length - 1; i >= 0; i--) {
      if ((end[i] & 0xff) < 0xff) {
        end[i]++;
        return ByteString.copyFrom(end, 0, i + 1);
      }
    }
    return ByteString.copyFrom(new byte[] {0});
  }

  /** The kv range read over this interval (not for {@link Kind#SINGLE}). */
  public RangeRequest toRangeRequest() {
    return switch (kind) {
      case PREFIX -> RangeRequest.prefix(key);
      case ALL -> RangeRequest.prefix("");
      case FROM -> RangeRequest.between(key, "");
      case BETWEEN -> RangeRequest.between(key, end);
      case SINGLE -> RangeRequest.between(key, key + "\0");
    };
  }

  /**
   * {@code single}, a compare made for this interval's key, over the whole interval: kv's compare
   * with a range end ({@code ""}: no end). Every key is at least {@code "\0"}, so that is where
   * {@link Kind#ALL} starts.
   */
  public Compare over(Compare single) {
    return switch (kind) {
      case SINGLE -> single;
      case PREFIX -> at(single, key).overRange(prefixEnd(key));
      case FROM -> at(single, key).overRange("");
      case ALL -> at(single, "\0").overRange("");
      case BETWEEN -> at(single, key).overRange(end);
    };
  }

  /** A delete of this interval inside a kv transaction: one key's, or every key's in it. */
  public TxnOp delete(boolean prevKv) {
    return switch (kind) {
      case SINGLE -> new TxnOp.Delete(key, prevKv);
      case PREFIX -> new TxnOp.DeleteRange(key, prefixEnd(key), prevKv);
      case FROM -> new TxnOp.DeleteRange(key, "", prevKv);
      case ALL -> new TxnOp.DeleteRange("\0", "", prevKv);
      case BETWEEN -> new TxnOp.DeleteRange(key, end, prevKv);
    };
  }

  private static Compare at(Compare c, String key) {
    return new Compare(key, c.target(), c.op(), c.value(), c.number());
  }

  /**
   * The first text after every text that starts with {@code prefix}, in Java string order (kv's key
   * order): the last char below {@code \uffff} incremented, the rest cut; {@code ""} (no end) if
   * none.
   */
  static String prefixEnd(String prefix) {
    for (int i = prefix.length() - 1; i >= 0; i--) {
      char c = prefix.charAt(i);
      if (c < Character.MAX_VALUE) {
        return prefix.substring(0, i) + (char) (c + 1);
      }
    }
    return "";
  }

  /**
   * The kv watch that covers this interval: the key, the prefix, or the whole keyspace (filtered
   * with {@link #contains}) for the other forms.
   */
  public WatchRequest toWatchRequest() {
    return switch (kind) {
      case SINGLE -> WatchRequest.key(key);
      case PREFIX -> WatchRequest.prefix(key);
      default -> WatchRequest.prefix("");
    };
  }

  /** Whether {@code candidate} lies in the interval (Java string order, as kv sorts keys). */
  public boolean contains(String candidate) {
    return switch (kind) {
      case SINGLE -> candidate.equals(key);
      case PREFIX -> candidate.startsWith(key);
      case ALL -> true;
      case FROM -> candidate.compareTo(key) >= 0;
      case BETWEEN -> candidate.compareTo(key) >= 0 && candidate.compareTo(end) < 0;
    };
  }
}
