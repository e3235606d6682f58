package dev.cohort.bench.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cohort.platform.CohortConfig;
import dev.cohort.platform.CohortNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends generated bad requests ({@link FuzzInputs}) to every endpoint a running node declares and
 * checks each answer: no 5xx, no dropped connection, every 4xx in the gateway's one error shape
 * with a code, and no 2xx to a request that may change state. Around the run it checks that nothing
 * changed ({@link StateSnapshot} before and after) and that the node still answers its health,
 * readiness and a known-good request.
 */
public final class HttpFuzzer {
  /** The gateway's body limit in fuzz runs: small, so that bodies just over it stay cheap. */
  public static final long MAX_BODY_BYTES = 256 * 1024;

  /**
   * Pekko's request timeout in fuzz runs: short, so that stalled bodies stay cheap, but long enough
   * for a loaded machine's slowest valid answer.
   */
  private static final String REQUEST_TIMEOUT = "5s";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int READ_TIMEOUT_MS = 15_000;
  private static final String KEYSPACE = "fuzz-ks";
  private static final String TOPIC = "fuzz-topic";
  private static final String SAGA = "fuzz-saga";
  private static final String ETCD_ROUTES = "/v3/";

  /**
   * etcd JSON calls whose request message has no fields (LeaseLeases, a read): every JSON object is
   * a valid request there, its unknown fields ignored as on etcd's gateway, so a 2xx is the right
   * answer whatever the fuzzer puts in it. The state snapshot still checks that nothing changed.
   */
  private static final Set<String> FIELDLESS_READS = Set.of("/v3/lease/leases");

  private final CohortNode node;
  private final RawHttp http;

  public HttpFuzzer(CohortNode node) {
    this.node = node;
    InetSocketAddress address = node.httpAddress();
    this.http = new RawHttp(new InetSocketAddress("127.0.0.1", address.getPort()), READ_TIMEOUT_MS);
  }

  /** A node configuration for fuzz runs: free ports everywhere, the fuzz body limit. */
  public static CohortConfig.Builder nodeConfig(Path dataDir) {
    return CohortConfig.builder()
        .dataDir(dataDir)
        .httpPort(0)
        .etcdPort(0)
        .kafkaPort(0)
        .remotePort(0)
        .override("cohort.gateway.max-body-bytes", MAX_BODY_BYTES)
        .override("pekko.http.server.request-timeout", REQUEST_TIMEOUT);
  }

  /**
   * What a run found: the inputs sent, the failed ones, and one example per distinct finding
   * (route, method, what was wrong).
   */
  public record Report(
      long seed,
      long inputs,
      long failures,
      Map<String, String> findings,
      Map<Integer, Long> byStatus) {

    /** A multi-line account for a failed assertion: seed first, so that the run can be repeated. */
    public String describe() {
      StringBuilder text =
          new StringBuilder(
              "seed="
                  + seed
                  + " inputs="
                  + inputs
                  + " failures="
                  + failures
                  + " (repeat with -Dcohort.fuzz.seed="
                  + seed
                  + ")\n");
      findings.forEach(
          (finding, example) ->
              text.append(finding).append("\n    e.g. ").append(example).append('\n'));
      return text.toString();
    }
  }

  /**
   * Creates the resources reading requests aim at, snapshots state, sends {@code inputs} inputs
   * from {@code seed}, then checks liveness and the snapshot; findings of all three go in the
   * report.
   */
  public Report run(long seed, long inputs) throws IOException {
    seedState();
    StateSnapshot before = StateSnapshot.take(http);
    FuzzInputs generator =
        new FuzzInputs(
            node.httpEndpoints(),
            List.of(KEYSPACE, TOPIC, SAGA, "default", "0", "fuzz-key"),
            seed,
            MAX_BODY_BYTES);
    Map<String, String> findings = new LinkedHashMap<>();
    Map<Integer, Long> byStatus = new TreeMap<>();
    long failures = 0;
    for (long i = 0; i < inputs; i++) {
      FuzzInput input = generator.input(i);
      String problem = check(input, byStatus);
      if (problem != null) {
        failures++;
        findings.putIfAbsent(
            input.route()
                + " "
                + input.method()
                + " "
                + input.kind().replace("+slow", "").replace("+stalled", " stalled")
                + ": "
                + problem,
            input.describe());
      }
    }
    List<String> alive = liveness();
    if (!alive.isEmpty()) {
      failures++;
      findings.put("node stopped answering after the run", String.join("; ", alive));
    }
    List<String> changed = before.differences(StateSnapshot.take(http));
    if (!changed.isEmpty()) {
      failures++;
      findings.put("state changed during the run", String.join("\n    ", changed));
    }
    String good = knownGood();
    if (good != null) {
      failures++;
      findings.put("a valid put after the run failed", good);
    }
    return new Report(seed, inputs, failures, findings, byStatus);
  }

  /** What is wrong with the answer to {@code input}, or null when nothing is. */
  private String check(FuzzInput input, Map<Integer, Long> byStatus) {
    RawHttp.Answer answer;
    try {
      answer =
          http.exchange(
              input.head(),
              input.body(),
              input.dribbleBytes(),
              input.pauseMs(),
              input.method().equals("HEAD"));
    } catch (IOException e) {
      byStatus.merge(0, 1L, Long::sum);
      return "no answer (" + e.getMessage() + ")";
    }
    int status = answer.status();
    byStatus.merge(status, 1L, Long::sum);
    if (status >= 500) {
      return "status " + status + " " + abbreviate(answer.body());
    }
    if (status / 100 == 2
        && input.mutating()
        && !answer.stream()
        && !FIELDLESS_READS.contains(input.route())) {
      return "accepted (" + status + ") " + abbreviate(answer.body());
    }
    if (status / 100 == 4
        && !input.method().equals("HEAD")
        && !errorShape(answer, input.route().startsWith(ETCD_ROUTES))) {
      return "untyped " + status + " (" + answer.contentType() + ") " + abbreviate(answer.body());
    }
    if (status / 100 != 2 && status / 100 != 4) {
      return "status " + status;
    }
    return null;
  }

  /**
   * The gateway's error shape {@code {"error":{"code","message"}}}; on the etcd JSON gateway's
   * routes also etcd's own {@code {"error","message","code"}} with a gRPC status code, which is
   * what etcd clients read there.
   */
  private static boolean errorShape(RawHttp.Answer answer, boolean etcd) {
    if (!answer.contentType().startsWith("application/json")) {
      return false;
    }
    try {
      JsonNode body = JSON.readTree(answer.body());
      if (etcd && body.path("code").isInt() && body.path("message").isTextual()) {
        return true;
      }
      JsonNode code = body.path("error").path("code");
      return code.isTextual() && !code.asText().isEmpty();
    } catch (IOException e) {
      return false;
    }
  }

  private static String abbreviate(String body) {
    return body.length() > 200 ? body.substring(0, 200) + "…" : body;
  }

  // The node before and after

  /**
   * The resources reading inputs aim at; also a first etcd call, which creates the etcd API's
   * keyspace (created on first use, by design: not a change a bad input may cause).
   */
  private void seedState() throws IOException {
    awaitReady();
    send("POST", "/v3/kv/range", "{\"key\":\"Zm9v\"}");
    send("PUT", "/v1/keyspaces/" + KEYSPACE, "{\"partitions\":2}");
    for (int i = 0; i < 3; i++) {
      send("PUT", "/v1/kv/" + KEYSPACE + "/keys/fuzz-key-" + i, "{\"value\":\"v" + i + "\"}");
    }
    send("POST", "/v1/topics", "{\"name\":\"" + TOPIC + "\",\"partitions\":2}");
    send(
        "POST",
        "/v1/topics/" + TOPIC + "/records",
        "{\"records\":[{\"key\":\"k\",\"value\":\"a\"},{\"value\":\"b\",\"partition\":1}]}");
    send(
        "PUT",
        "/v1/sagas/definitions/" + SAGA,
        "{\"steps\":[{\"name\":\"mark\",\"action\":{\"kv\":{\"op\":\"put\",\"keyspace\":\""
            + KEYSPACE
            + "\",\"key\":\"${sagaId}\",\"value\":\"done\"}}}]}");
  }

  /** Waits (60 s at most) until the node is Up with its journal answering. */
  private void awaitReady() throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    RawHttp.Answer answer = http.exchange(get("/health/ready"), new byte[0], 0, 0);
    while (answer.status() != 200 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
      answer = http.exchange(get("/health/ready"), new byte[0], 0, 0);
    }
    if (answer.status() != 200) {
      throw new IOException("the node did not get ready within 60 s: " + answer.body());
    }
  }

  private List<String> liveness() {
    List<String> problems = new ArrayList<>();
    for (String path :
        List.of("/health/alive", "/health/ready", "/v1/kv/" + KEYSPACE + "/keys/fuzz-key-0")) {
      try {
        RawHttp.Answer answer = http.exchange(get(path), new byte[0], 0, 0);
        if (answer.status() != 200) {
          problems.add(path + " answered " + answer.status() + " " + answer.body());
        }
      } catch (IOException e) {
        problems.add(path + ": " + e.getMessage());
      }
    }
    return problems;
  }

  /** A write that must still succeed after the run (after the last snapshot: it changes state). */
  private String knownGood() {
    try {
      send("PUT", "/v1/kv/" + KEYSPACE + "/keys/after-fuzz", "{\"value\":\"ok\"}");
      return null;
    } catch (IOException e) {
      return e.getMessage();
    }
  }

  private void send(String method, String path, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    byte[] head =
        (method
                + " "
                + path
                + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: "
                + body.length
                + "\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    RawHttp.Answer answer = http.exchange(head, body, 0, 0);
    if (answer.status() / 100 != 2) {
      throw new IOException(
          method + " " + path + " answered " + answer.status() + " " + answer.body());
    }
  }

  private static byte[] get(String path) {
    return ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }
}
