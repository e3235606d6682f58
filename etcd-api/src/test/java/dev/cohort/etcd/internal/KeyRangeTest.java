package dev.cohort.etcd.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.cohort.kv.Compare;
import dev.cohort.kv.TxnOp;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

/** The key interval forms etcd clients send (clientv3's WithPrefix, WithFromKey, WithRange). */
class KeyRangeTest {
  private static ByteString b(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static final ByteString ZERO = ByteString.copyFrom(new byte[] {0});

  @Test
  void forms() {
    assertEquals(
        new KeyRange(KeyRange.Kind.SINGLE, "a", null), KeyRange.of(b("a"), ByteString.EMPTY));
    assertEquals(
        new KeyRange(KeyRange.Kind.PREFIX, "foo/", null), KeyRange.of(b("foo/"), b("foo0")));
    assertEquals(new KeyRange(KeyRange.Kind.FROM, "m", null), KeyRange.of(b("m"), ZERO));
    assertEquals(new KeyRange(KeyRange.Kind.ALL, "", null), KeyRange.of(ZERO, ZERO));
    assertEquals(new KeyRange(KeyRange.Kind.BETWEEN, "a", "c"), KeyRange.of(b("a"), b("c")));
  }

  @Test
  void prefixEndIncrementsTheLastByteBelow0xff() {
    assertEquals(b("fop"), KeyRange.prefixEnd(b("foo")));
    assertEquals(b("b"), KeyRange.prefixEnd(ByteString.copyFrom(new byte[] {'a', (byte) 0xff})));
    assertEquals(ZERO, KeyRange.prefixEnd(ByteString.copyFrom(new byte[] {(byte) 0xff})));
  }

  @Test
  void aCompareOverEachFormCoversExactlyTheFormsKeys() {
    Compare single = Compare.version("ignored", Compare.Op.EQUAL, 1);
    assertEquals(single, KeyRange.of(b("a"), ByteString.EMPTY).over(single));
    Compare prefix = KeyRange.of(b("p/"), b("p0")).over(single);
    assertEquals("p/", prefix.key());
    assertEquals("p0", prefix.rangeEnd());
    Compare from = KeyRange.of(b("m"), ZERO).over(single);
    assertEquals("m", from.key());
    assertEquals("", from.rangeEnd(), "no end");
    Compare all = KeyRange.of(ZERO, ZERO).over(single);
    assertEquals("\0", all.key(), "the least key there can be");
    assertEquals("", all.rangeEnd());
    Compare between = KeyRange.of(b("a"), b("c")).over(single);
    assertEquals("a", between.key());
    assertEquals("c", between.rangeEnd());
    assertEquals(Compare.Target.VERSION, between.target());
    assertEquals(1, between.number());
  }

  @Test
  void aDeleteOverEachFormCoversExactlyTheFormsKeys() {
    assertEquals(new TxnOp.Delete("a", true), KeyRange.of(b("a"), ByteString.EMPTY).delete(true));
    assertEquals(
        new TxnOp.DeleteRange("p/", "p0", false), KeyRange.of(b("p/"), b("p0")).delete(false));
    assertEquals(new TxnOp.DeleteRange("m", "", true), KeyRange.of(b("m"), ZERO).delete(true));
    assertEquals(new TxnOp.DeleteRange("\0", "", false), KeyRange.of(ZERO, ZERO).delete(false));
    assertEquals(new TxnOp.DeleteRange("a", "c", false), KeyRange.of(b("a"), b("c")).delete(false));
  }

  @Test
  void aTextPrefixEndsAfterEveryTextStartingWithIt() {
    assertEquals("fop", KeyRange.prefixEnd("foo"));
    assertEquals("b", KeyRange.prefixEnd("a\uffff"));
    assertEquals("", KeyRange.prefixEnd("\uffff"));
    String end = KeyRange.prefixEnd("p\u00e9");
    assertTrue("p\u00e9\uffff\uffff".compareTo(end) < 0 && "p\u00e9".compareTo(end) < 0);
    assertTrue("p\u00ea".compareTo(end) >= 0);
  }

  @Test
  void containsFollowsTheForm() {
    KeyRange between = KeyRange.of(b("b"), b("d"));
    assertTrue(between.contains("b") && between.contains("c/x"));
    assertFalse(between.contains("d") || between.contains("a"));
    assertTrue(KeyRange.of(b("m"), ZERO).contains("zz"));
    assertFalse(KeyRange.of(b("m"), ZERO).contains("l"));
    assertFalse(KeyRange.of(b("p/"), b("p0")).contains("p"));
  }

  @Test
  void emptyAndNonUtf8KeysAreRefused() {
    StatusRuntimeException empty =
        assertThrows(
            StatusRuntimeException.class, () -> KeyRange.of(ByteString.EMPTY, ByteString.EMPTY));
    assertEquals(Status.Code.INVALID_ARGUMENT, empty.getStatus().getCode());
    assertEquals("etcdserver: key is not provided", empty.getStatus().getDescription());
    StatusRuntimeException binary =
        assertThrows(
            StatusRuntimeException.class,
            () -> KeyRange.of(ByteString.copyFrom(new byte[] {(byte) 0xc3}), ByteString.EMPTY));
    assertEquals(Status.Code.INVALID_ARGUMENT, binary.getStatus().getCode());
  }
}
