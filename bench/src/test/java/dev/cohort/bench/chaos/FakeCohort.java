package dev.cohort.bench.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Executors;

/**
 * An in-memory stand-in for a node's gateway with the request and answer shapes of the README, for
 * the workloads' own tests: CP keys and cas transactions, topics with produce and fetch, one
 * consumer group whose first member gets every partition. Everything happens under one lock, so it
 * is linearizable; {@code dropAnswers} makes some requests time out after they were applied
 * (indeterminate, as a paused node's would be), and {@code loseEveryNthWrite} acknowledges a put
 * and forgets it (the fault the checkers must catch).
 */
final class FakeCohort implements AutoCloseable {
  private final HttpServer server;
  private final Random random = new Random(7);
  private final Map<String, String> kv = new TreeMap<>();
  private final Map<Integer, List<String>> log = new TreeMap<>();
  private final Map<String, long[]> positions = new HashMap<>();
  private final Map<Integer, Long> committed = new TreeMap<>();
  private String owner;
  private int memberCounter;
  private int writes;
  private int lostWrites;
  volatile double dropAnswers;
  volatile int loseEveryNthWrite;

  /** How many puts were acknowledged and dropped so far. */
  synchronized int lostWrites() {
    return lostWrites;
  }

  FakeCohort() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(
        Executors.newFixedThreadPool(
            16,
            r -> {
              Thread t = new Thread(r, "fake-cohort");
              t.setDaemon(true);
              return t;
            }));
    server.createContext("/", this::handle);
    server.start();
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String raw = exchange.getRequestURI().getRawPath();
      Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
      byte[] in = exchange.getRequestBody().readAllBytes();
      JsonNode body = in.length == 0 ? ChaosHttp.object() : ChaosHttp.JSON.readTree(in);
      int[] status = {200};
      ObjectNode answer;
      synchronized (this) {
        answer = route(method, raw, query, body, status);
      }
      if (random.nextDouble() < dropAnswers) {
        Thread.sleep(1_500); // past the client's timeout: applied, answer lost
      }
      byte[] out = answer.toString().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(status[0], out.length);
      exchange.getResponseBody().write(out);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // the client gave up; nothing to answer
    }
  }

  private ObjectNode route(
      String method, String raw, Map<String, String> query, JsonNode body, int[] status) {
    String[] parts = raw.split("/", -1);
    if (raw.startsWith("/v1/keyspaces/") && method.equals("PUT")) {
      status[0] = 201;
      return ChaosHttp.object().put("name", parts[3]);
    }
    if (raw.startsWith("/v1/kv/") && parts[4].equals("repair") && method.equals("POST")) {
      // one store: nothing to reconcile
      return ChaosHttp.object().put("keyspace", parts[3]).put("repaired", 0);
    }
    if (raw.startsWith("/v1/kv/")
        && parts[4].equals("keys")
        && parts.length == 5
        && method.equals("GET")) {
      ObjectNode node = ChaosHttp.object().put("more", false);
      ArrayNode kvs = node.putArray("kvs");
      kv.forEach(
          (k, v) -> {
            if (k.startsWith(query.getOrDefault("prefix", ""))) {
              kvs.addObject().put("key", k).put("value", v);
            }
          });
      return node;
    }
    if (raw.startsWith("/v1/kv/") && parts[4].equals("keys")) {
      String key =
          URLDecoder.decode(
              raw.substring(("/v1/kv/" + parts[3] + "/keys/").length()).replace("+", "%2B"),
              StandardCharsets.UTF_8);
      if (method.equals("PUT")) {
        String value = body.path("value").asText();
        if (loseEveryNthWrite > 0 && ++writes % loseEveryNthWrite == 0) {
          lostWrites++;
          return ChaosHttp.object(); // acknowledged, never stored
        }
        kv.put(key, value);
        return ChaosHttp.object();
      }
      String value = kv.get(key);
      if (value == null) {
        status[0] = 404;
        return error("key_not_found");
      }
      ObjectNode node = ChaosHttp.object();
      node.putObject("kv").put("key", key).put("value", value);
      return node;
    }
    if (raw.startsWith("/v1/kv/") && parts[4].equals("txn")) {
      JsonNode compare = body.path("compare").get(0);
      String key = compare.path("key").asText();
      String current = kv.get(key);
      boolean holds =
          compare.path("target").asText().equals("version")
              ? current == null
              : compare.path("value").asText().equals(current);
      if (holds) {
        JsonNode put = body.path("success").get(0).path("put");
        kv.put(put.path("key").asText(), put.path("value").asText());
      }
      return ChaosHttp.object().put("succeeded", holds);
    }
    if (raw.equals("/v1/topics") && method.equals("POST")) {
      for (int p = 0; p < body.path("partitions").asInt(); p++) {
        log.put(p, new ArrayList<>());
      }
      status[0] = 201;
      return ChaosHttp.object();
    }
    if (raw.equals("/v1/producers")) {
      status[0] = 404;
      return error("not_found");
    }
    if (raw.startsWith("/v1/topics/") && raw.endsWith("/records") && method.equals("POST")) {
      ObjectNode node = ChaosHttp.object();
      ArrayNode offsets = node.putArray("offsets");
      for (JsonNode r : body.path("records")) {
        List<String> partition = log.get(r.path("partition").asInt());
        partition.add(r.path("value").asText());
        offsets.addObject().put("offset", partition.size() - 1);
      }
      return node;
    }
    if (raw.startsWith("/v1/topics/") && raw.contains("/partitions/")) {
      List<String> partition = log.get(Integer.parseInt(parts[5]));
      int from = Integer.parseInt(query.get("offset"));
      ObjectNode node =
          ChaosHttp.object().put("highWatermark", partition.size()).put("logStartOffset", 0);
      ArrayNode records = node.putArray("records");
      int to =
          Math.min(
              partition.size(), from + Integer.parseInt(query.getOrDefault("maxRecords", "500")));
      for (int o = from; o < to; o++) {
        records.addObject().put("offset", o).put("value", partition.get(o));
      }
      return node.put("nextOffset", to);
    }
    if (raw.matches("/v1/groups/[^/]+/members") && method.equals("POST")) {
      String member = "m" + memberCounter++;
      long[] position = new long[log.size()];
      for (int p = 0; p < position.length; p++) {
        position[p] = committed.getOrDefault(p, 0L);
      }
      positions.put(member, position);
      if (owner == null) {
        owner = member;
      }
      return ChaosHttp.object().put("memberId", member).put("generation", 1);
    }
    if (raw.matches("/v1/groups/[^/]+/members/[^/]+/records")) {
      String member = parts[5];
      ObjectNode node = ChaosHttp.object().put("generation", 1);
      ArrayNode records = node.putArray("records");
      if (member.equals(owner)) {
        long[] position = positions.get(member);
        for (int p = 0; p < position.length; p++) {
          List<String> partition = log.get(p);
          for (int n = 0; n < 50 && position[p] < partition.size(); n++, position[p]++) {
            records
                .addObject()
                .put("topic", "chaos_log")
                .put("partition", p)
                .put("offset", position[p])
                .put("value", partition.get((int) position[p]));
          }
        }
      }
      return node;
    }
    if (raw.matches("/v1/groups/[^/]+/offsets")) {
      for (JsonNode o : body.path("offsets")) {
        committed.put(o.path("partition").asInt(), o.path("offset").asLong());
      }
      return ChaosHttp.object();
    }
    if (raw.matches("/v1/groups/[^/]+/members/[^/]+") && method.equals("DELETE")) {
      if (parts[5].equals(owner)) {
        owner = null;
      }
      return ChaosHttp.object();
    }
    if (raw.matches("/v1/groups/[^/]+")) {
      ObjectNode node = ChaosHttp.object();
      ArrayNode offsets = node.putArray("offsets");
      committed.forEach(
          (p, o) ->
              offsets
                  .addObject()
                  .put("topic", "chaos_log")
                  .put("partition", p)
                  .put("committedOffset", o));
      return node;
    }
    status[0] = 404;
    return error("not_found");
  }

  private static ObjectNode error(String code) {
    ObjectNode node = ChaosHttp.object();
    node.putObject("error").put("code", code).put("message", code);
    return node;
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> query = new LinkedHashMap<>();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        query.put(
            URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return query;
  }
}
