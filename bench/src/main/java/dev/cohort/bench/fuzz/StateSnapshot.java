package dev.cohort.bench.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a node holds, as its own API lists it: keyspaces and every key in them, topics with their
 * offsets, consumer groups, saga definitions and instances, projections and training jobs. Two
 * snapshots taken before and after a fuzz run must be equal: no bad input may change state.
 */
final class StateSnapshot {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, String> answers;

  private StateSnapshot(Map<String, String> answers) {
    this.answers = answers;
  }

  static StateSnapshot take(RawHttp http) throws IOException {
    Map<String, String> answers = new TreeMap<>();
    for (String ks : names(get(http, "/v1/keyspaces", answers), "keyspaces", "name")) {
      get(http, "/v1/keyspaces/" + encode(ks), answers);
      get(http, "/v1/kv/" + encode(ks) + "/keys?prefix=", answers);
    }
    for (String topic : names(get(http, "/v1/topics", answers), "topics", null)) {
      get(http, "/v1/topics/" + encode(topic), answers);
    }
    for (String group : names(get(http, "/v1/groups", answers), "groups", "groupId")) {
      get(http, "/v1/groups/" + encode(group), answers);
    }
    get(http, "/v1/sagas/definitions", answers);
    get(http, "/v1/sagas/instances", answers);
    get(http, "/v1/projections", answers);
    get(http, "/v1/training/jobs", answers);
    return new StateSnapshot(answers);
  }

  /** The paths whose answers differ, each with both answers; empty when equal. */
  List<String> differences(StateSnapshot after) {
    List<String> differences = new ArrayList<>();
    TreeMap<String, String> all = new TreeMap<>(answers);
    after.answers.forEach(all::putIfAbsent);
    for (String path : all.keySet()) {
      String before = answers.get(path);
      String now = after.answers.get(path);
      if (!Objects.equals(before, now)) {
        differences.add(path + ": before " + before + " after " + now);
      }
    }
    return differences;
  }

  int size() {
    return answers.size();
  }

  private static JsonNode get(RawHttp http, String path, Map<String, String> answers)
      throws IOException {
    byte[] head =
        ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    RawHttp.Answer answer = http.exchange(head, new byte[0], 0, 0);
    if (answer.status() != 200) {
      throw new IOException("GET " + path + " answered " + answer.status() + " " + answer.body());
    }
    answers.put(path, answer.body());
    return JSON.readTree(answer.body());
  }

  /** The names in {@code body[list]}: the array's strings, or each element's {@code field}. */
  private static List<String> names(JsonNode body, String list, String field) {
    List<String> names = new ArrayList<>();
    for (JsonNode element : body.path(list)) {
      names.add(
          field == null || element.isTextual() ? element.asText() : element.path(field).asText());
    }
    return names;
  }

  private static String encode(String name) {
    return URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
