package dev.cohort.kv.ap.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The byte layout of AP data in each node's RocksDB store. Owns the key order: data keys sort by
 * keyspace, incarnation, then the key's ring token (unsigned, big-endian) and the key itself, so
 * that a token range of one keyspace is one contiguous scan (what anti-entropy repair compares).
 *
 * <ul>
 *   <li>data: {@code 'd' | u8 keyspace length | keyspace | i64 incarnation | u64 token | key} →
 *       entry
 *   <li>hint: {@code 'h' | u16 target length | target | i64 sequence} → {@code u8 keyspace length |
 *       keyspace | i64 incarnation | u16 key length | key | entry}
 *   <li>catalog: {@code 'c' | keyspace | 0x00 | i64 incarnation} → {@code i32 replication factor}
 *   <li>entry: {@code u8 version (1) | u8 flags (1: tombstone) | i64 timestamp | i64 expires | i64
 *       purge | u16 writer length | writer | value bytes}
 * </ul>
 *
 * A format change gets a new entry version; version 1 must keep reading.
 */
final class ApCodec {
  static final byte DATA = 'd';
  static final byte HINT = 'h';
  static final byte CATALOG = 'c';
  private static final byte VERSION = 1;

  private ApCodec() {}

  static byte[] keyspacePrefix(String keyspace, long incarnation) {
    byte[] ks = keyspace.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(2 + ks.length + 8)
        .put(DATA)
        .put((byte) ks.length)
        .put(ks)
        .putLong(incarnation)
        .array();
  }

  static byte[] dataKey(String keyspace, long incarnation, long token, String key) {
    byte[] prefix = keyspacePrefix(keyspace, incarnation);
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(prefix.length + 8 + k.length)
        .put(prefix)
        .putLong(token)
        .put(k)
        .array();
  }

  /** The first data key of {@code keyspace} at or after {@code token}. */
  static byte[] tokenBound(String keyspace, long incarnation, long token) {
    byte[] prefix = keyspacePrefix(keyspace, incarnation);
    return ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(token).array();
  }

  /** A data key split into its parts. */
  record DataKey(String keyspace, long incarnation, long token, String key) {}

  static DataKey parseDataKey(byte[] raw) {
    ByteBuffer b = ByteBuffer.wrap(raw);
    b.get();
    byte[] ks = new byte[b.get() & 0xff];
    b.get(ks);
    long incarnation = b.getLong();
    long token = b.getLong();
    String key = new String(raw, b.position(), b.remaining(), StandardCharsets.UTF_8);
    return new DataKey(new String(ks, StandardCharsets.UTF_8), incarnation, token, key);
  }

  static byte[] hintPrefix(String target) {
    byte[] t = target.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(3 + t.length).put(HINT).putShort((short) t.length).put(t).array();
  }

  static byte[] hintKey(String target, long sequence) {
    byte[] prefix = hintPrefix(target);
    return ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(sequence).array();
  }

  static String hintTarget(byte[] rawKey) {
    ByteBuffer b = ByteBuffer.wrap(rawKey);
    b.get();
    int n = b.getShort() & 0xffff;
    return new String(rawKey, 3, n, StandardCharsets.UTF_8);
  }

  static byte[] hintValue(ApHint hint) {
    byte[] ks = hint.keyspace().getBytes(StandardCharsets.UTF_8);
    byte[] k = hint.key().getBytes(StandardCharsets.UTF_8);
    byte[] e = entry(hint.entry());
    return ByteBuffer.allocate(1 + ks.length + 8 + 2 + k.length + e.length)
        .put((byte) ks.length)
        .put(ks)
        .putLong(hint.incarnation())
        .putShort((short) k.length)
        .put(k)
        .put(e)
        .array();
  }

  static ApHint parseHint(String target, byte[] raw) {
    ByteBuffer b = ByteBuffer.wrap(raw);
    byte[] ks = new byte[b.get() & 0xff];
    b.get(ks);
    long incarnation = b.getLong();
    byte[] k = new byte[b.getShort() & 0xffff];
    b.get(k);
    byte[] e = new byte[b.remaining()];
    b.get(e);
    return new ApHint(
        target,
        new String(ks, StandardCharsets.UTF_8),
        incarnation,
        new String(k, StandardCharsets.UTF_8),
        entry(e));
  }

  static byte[] catalogKey(String keyspace, long incarnation) {
    byte[] ks = keyspace.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(1 + ks.length + 1 + 8)
        .put(CATALOG)
        .put(ks)
        .put((byte) 0)
        .putLong(incarnation)
        .array();
  }

  static String catalogId(byte[] rawKey) {
    ByteBuffer b = ByteBuffer.wrap(rawKey);
    int zero = rawKey.length - 9;
    b.position(zero + 1);
    return new String(rawKey, 1, zero - 1, StandardCharsets.UTF_8) + ":" + b.getLong();
  }

  static byte[] entry(ApEntry e) {
    byte[] writer = e.writer().getBytes(StandardCharsets.UTF_8);
    int valueLength = e.value() == null ? 0 : e.value().length;
    ByteBuffer b =
        ByteBuffer.allocate(2 + 24 + 2 + writer.length + valueLength)
            .put(VERSION)
            .put((byte) (e.isTombstone() ? 1 : 0))
            .putLong(e.timestamp())
            .putLong(e.expiresAtMillis())
            .putLong(e.purgeAtMillis())
            .putShort((short) writer.length)
            .put(writer);
    if (e.value() != null) {
      b.put(e.value());
    }
    return b.array();
  }

  static ApEntry entry(byte[] raw) {
    ByteBuffer b = ByteBuffer.wrap(raw);
    byte version = b.get();
    if (version != VERSION) {
      throw new IllegalStateException("unknown AP entry format version " + version);
    }
    boolean tombstone = (b.get() & 1) != 0;
    long timestamp = b.getLong();
    long expires = b.getLong();
    long purge = b.getLong();
    byte[] writer = new byte[b.getShort() & 0xffff];
    b.get(writer);
    byte[] value = null;
    if (!tombstone) {
      value = new byte[b.remaining()];
      b.get(value);
    }
    return new ApEntry(
        value, timestamp, new String(writer, StandardCharsets.UTF_8), expires, purge);
  }
}
