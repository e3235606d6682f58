package dev.cohort.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.InvalidProtocolBufferException;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.RangeRequest;
import org.junit.jupiter.api.Test;

/**
 * The etcd JSON gateway reads strict JSON, as etcd's does: what protobuf's lenient parser would
 * take (and run as an empty request, granting a lease or running an empty transaction) is refused.
 */
class EtcdJsonParseTest {

  @Test
  void strictJsonParsesWithUnknownFieldsIgnored() throws Exception {
    RangeRequest.Builder range = RangeRequest.newBuilder();
    EtcdJson.parse("{\"key\":\"Zm9v\",\"unknown\":1}", range);
    assertEquals("foo", range.getKey().toStringUtf8());
  }

  @Test
  void lenientJsonIsRefused() {
    for (String body :
        new String[] {
          "{'TTL': 5}",
          "{\"a\":NaN}",
          "{TTL: 5}",
          "{\"TTL\":5} trailing",
          "{\"TTL\":5 /* c */}",
          "{"
        }) {
      assertThrows(
          InvalidProtocolBufferException.class,
          () -> EtcdJson.parse(body, LeaseGrantRequest.newBuilder()),
          body);
    }
  }
}
