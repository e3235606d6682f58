package dev.cohort.saga;

import static dev.cohort.testkit.Await.join;

import dev.cohort.kv.KeyValue;
import dev.cohort.kv.Kv;
import dev.cohort.kv.RangeRequest;
import dev.cohort.kv.RangeResult;
import dev.cohort.log.ProducerRecord;
import dev.cohort.log.StreamLog;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Test helpers for projections: order records, the views they must give, reading a view. */
final class Projecting {
  private Projecting() {}

  /** Order {@code i}: key {@code order-<i % 9>}, user {@code u<i % 5>}, amount i·1.25. */
  static ProducerRecord order(String topic, int i) {
    return ProducerRecord.of(
        topic,
        "order-" + (i % 9),
        "{\"user_id\":\"u"
            + (i % 5)
            + "\",\"amount\":"
            + new BigDecimal(i).multiply(new BigDecimal("1.25")).toPlainString()
            + ",\"seq\":"
            + i
            + "}");
  }

  static void produce(StreamLog log, String topic, int from, int to) {
    List<ProducerRecord> batch = new ArrayList<>();
    for (int i = from; i < to; i++) {
      batch.add(order(topic, i));
    }
    join(log.send(topic, batch));
  }

  /** The count view of orders {@code [0, n)} by user. */
  static Map<String, String> countsByUser(int n) {
    Map<String, Long> counts = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge("u" + (i % 5), 1L, Long::sum);
    }
    Map<String, String> view = new TreeMap<>();
    counts.forEach((k, v) -> view.put(k, Long.toString(v)));
    return view;
  }

  /** The sum-of-amount view of orders {@code [0, n)} by user. */
  static Map<String, String> sumsByUser(int n) {
    Map<String, BigDecimal> sums = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      sums.merge(
          "u" + (i % 5), new BigDecimal(i).multiply(new BigDecimal("1.25")), BigDecimal::add);
    }
    Map<String, String> view = new TreeMap<>();
    sums.forEach((k, v) -> view.put(k, v.toPlainString()));
    return view;
  }

  /** The latest-value view of orders {@code [0, n)} by record key (per key, the highest i). */
  static Map<String, String> latestByKey(String topic, int n) {
    Map<String, String> view = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      ProducerRecord r = order(topic, i);
      view.put("order-" + (i % 9), new String(r.value(), java.nio.charset.StandardCharsets.UTF_8));
    }
    return view;
  }

  /** Every key of {@code keyspace} that is not an offset marker, with its value. */
  static Map<String, String> view(Kv kv, String keyspace) {
    return withRevisions(kv, keyspace).entrySet().stream()
        .collect(
            java.util.stream.Collectors.toMap(
                Map.Entry::getKey, e -> e.getValue().valueUtf8(), (a, b) -> a, TreeMap::new));
  }

  static Map<String, KeyValue> withRevisions(Kv kv, String keyspace) {
    Map<String, KeyValue> view = new LinkedHashMap<>();
    String page = null;
    do {
      RangeRequest request = RangeRequest.prefix("");
      RangeResult result =
          join(kv.range(keyspace, page == null ? request : request.withPage(page)));
      for (KeyValue k : result.kvs()) {
        if (!k.key().contains("}@projection/")) {
          view.put(k.key(), k);
        }
      }
      page = result.more() ? result.next() : null;
    } while (page != null);
    return view;
  }
}
