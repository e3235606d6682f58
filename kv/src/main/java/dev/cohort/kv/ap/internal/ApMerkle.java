package dev.cohort.kv.ap.internal;

import dev.cohort.sharding.ConsistentHashRing;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/**
 * The hash tree anti-entropy compares for one token range {@code (from, to]} of one keyspace: the
 * range is cut into {@code leaves} equal token slices; a leaf's hash is the sum (mod 2^64) of a
 * 64-bit hash of every entry in its slice — key, timestamp, writer, tombstone, expiry — so it does
 * not depend on the order entries are visited in, and two replicas holding the same entries have
 * the same leaf. The root is a hash of the leaves; replicas whose roots match skip the range,
 * otherwise they exchange the entries of the leaves that differ. Stateless.
 */
final class ApMerkle {
  private static final BigInteger RING = BigInteger.ONE.shiftLeft(64);

  private ApMerkle() {}

  /** The leaf hashes of this store's entries in {@code (from, to]}. */
  static long[] leaves(
      ApStore store, String keyspace, long incarnation, long from, long to, int leaves) {
    long[] hashes = new long[leaves];
    long step = step(from, to, leaves);
    store.scan(
        keyspace,
        incarnation,
        from,
        to,
        row -> {
          int leaf = (int) Long.divideUnsigned(row.token() - from - 1, step);
          hashes[leaf] += entryHash(row.key(), row.entry());
        });
    return hashes;
  }

  static long root(long[] leaves) {
    long h = 0x9e3779b97f4a7c15L;
    for (long leaf : leaves) {
      h = mix(h ^ leaf);
    }
    return h;
  }

  /**
   * The token slice {@code (from, to]} of leaf {@code i}, as {@code [fromExclusive, toInclusive]}.
   */
  static long[] leafRange(long from, long to, int leaves, int i) {
    BigInteger width = width(from, to);
    BigInteger step = BigInteger.valueOf(step(from, to, leaves)).and(mask());
    BigInteger start = step.multiply(BigInteger.valueOf(i)).min(width);
    BigInteger end = step.multiply(BigInteger.valueOf(i + 1L)).min(width);
    BigInteger base = BigInteger.valueOf(from).and(mask());
    return new long[] {base.add(start).mod(RING).longValue(), base.add(end).mod(RING).longValue()};
  }

  /** Tokens per leaf (unsigned), so that {@code leaves} slices cover the range. */
  private static long step(long from, long to, int leaves) {
    BigInteger width = width(from, to);
    return width
        .add(BigInteger.valueOf(leaves - 1L))
        .divide(BigInteger.valueOf(leaves))
        .longValue();
  }

  /** The number of tokens in {@code (from, to]}; the whole ring when {@code from == to}. */
  private static BigInteger width(long from, long to) {
    BigInteger w = BigInteger.valueOf(to).subtract(BigInteger.valueOf(from)).mod(RING);
    return w.signum() == 0 ? RING : w;
  }

  private static BigInteger mask() {
    return RING.subtract(BigInteger.ONE);
  }

  static long entryHash(String key, ApEntry e) {
    long h = 0xcbf29ce484222325L;
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    for (byte b : e.writer().getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    h = mix(h ^ e.timestamp());
    h = mix(h ^ e.expiresAtMillis() ^ (e.isTombstone() ? 0x5bd1e995L : 0));
    return h;
  }

  private static long mix(long h) {
    return ConsistentHashRing.mix64(h);
  }
}
