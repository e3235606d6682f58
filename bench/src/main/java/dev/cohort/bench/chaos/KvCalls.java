package dev.cohort.bench.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The kv HTTP calls the workloads share (README: {@code /v1/keyspaces}, {@code /v1/kv/{ks}/…}). */
final class KvCalls {
  /**
   * CP kv 503 codes that promise nothing was written: a cross-partition transaction that aborted
   * ({@code txn_aborted}, {@code participant_unavailable}), and a request refused unsent because
   * its partition's node is unreachable ({@code partition_unreachable}). A plain {@code
   * unavailable} wraps an unknown failure of the ask and stays INDETERMINATE.
   */
  static final Set<String> CP_DEFINITE_503 =
      Set.of("txn_aborted", "participant_unavailable", "partition_unreachable");

  private KvCalls() {}

  /** Creates a keyspace, retrying until a gateway says created or already there. */
  static void createKeyspace(Gateways g, String name, String mode, int partitions)
      throws InterruptedException {
    ObjectNode body = ChaosHttp.object().put("mode", mode);
    if (partitions > 0) {
      body.put("partitions", partitions);
    }
    SetUp.until(
        "create keyspace " + name,
        SetUp.DEADLINE,
        () -> ChaosHttp.put(g, ChaosHttp.any(g), "/v1/keyspaces/" + name, body),
        Reply::ok);
  }

  static String keyPath(String keyspace, String key) {
    return "/v1/kv/" + keyspace + "/keys/" + ChaosHttp.pathKey(key);
  }

  static Reply get(Gateways g, URI node, String keyspace, String key) {
    return ChaosHttp.get(g, node, keyPath(keyspace, key));
  }

  static Reply put(Gateways g, URI node, String keyspace, String key, String value) {
    return ChaosHttp.put(g, node, keyPath(keyspace, key), ChaosHttp.object().put("value", value));
  }

  /**
   * A read's answer: 200 with a value, or 404 {@code key_not_found} (absent). Others are not reads.
   */
  static boolean isRead(Reply r) {
    return r.ok() || r.status() == 404 && "key_not_found".equals(r.code());
  }

  /** The value of a successful read, null when the key is absent. */
  static String value(Reply r) {
    JsonNode v = r.body().path("kv").path("value");
    return r.ok() && v.isTextual() ? v.textValue() : null;
  }

  /**
   * A compare-and-swap: put {@code next} if the key holds {@code expected} (null: the key is
   * absent, compared as version 0 as etcd does).
   */
  static ObjectNode cas(String key, String expected, String next) {
    ObjectNode txn = ChaosHttp.object();
    ObjectNode compare = txn.putArray("compare").addObject().put("key", key);
    if (expected == null) {
      compare.put("target", "version").put("op", "=").put("value", 0);
    } else {
      compare.put("target", "value").put("op", "=").put("value", expected);
    }
    txn.putArray("success").addObject().putObject("put").put("key", key).put("value", next);
    txn.putArray("failure");
    return txn;
  }

  /**
   * Every key with {@code prefix} and its value, read page by page at {@code consistency} (null for
   * CP keyspaces), each page retried on any gateway until it answers.
   */
  static Map<String, String> scan(Gateways g, String keyspace, String prefix, String consistency)
      throws InterruptedException {
    return scan(g, null, keyspace, prefix, consistency);
  }

  /** As {@link #scan(Gateways, String, String, String)}, through {@code node} only (null: any). */
  static Map<String, String> scan(
      Gateways g, URI node, String keyspace, String prefix, String consistency)
      throws InterruptedException {
    Map<String, String> all = new LinkedHashMap<>();
    String page = null;
    do {
      String path =
          "/v1/kv/"
              + keyspace
              + "/keys?prefix="
              + ChaosHttp.query(prefix)
              + "&limit=1000"
              + (page == null ? "" : "&page=" + ChaosHttp.query(page))
              + (consistency == null ? "" : "&consistency=" + consistency);
      Reply r =
          SetUp.until(
              "range " + keyspace + " " + prefix,
              SetUp.DEADLINE,
              () -> ChaosHttp.get(g, node == null ? ChaosHttp.any(g) : node, path),
              Reply::ok);
      ArrayNode kvs = (ArrayNode) r.body().path("kvs");
      kvs.forEach(kv -> all.put(kv.path("key").asText(), kv.path("value").asText(null)));
      page = r.body().path("more").asBoolean(false) ? r.body().path("next").asText(null) : null;
    } while (page != null && !page.isEmpty());
    return all;
  }
}
