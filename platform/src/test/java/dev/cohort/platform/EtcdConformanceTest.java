package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Conformance with real etcd: one scripted etcdctl session, and one session of etcd's JSON gateway
 * calls, run against etcd 3.4.23 (Debian's etcd-server, started here on free ports with its own
 * data directory) and against a fresh Cohort node (the JSON calls on its HTTP port), and the
 * transcripts (exit code or HTTP status, output, error output) must be equal after these named
 * normalizations, the only allowed differences:
 *
 * <ol>
 *   <li>REVISIONS: absolute revisions differ (etcd's store starts at revision 1, Cohort's keyspace
 *       at 0), so every revision number is replaced by its rank among the revisions the session has
 *       seen ({@code r1}, {@code r2}, …);
 *   <li>LEASE_IDS: lease ids are chosen by each server; each is replaced by {@code L1}, {@code L2}…
 *       in order of appearance;
 *   <li>HEADER_IDS: {@code cluster_id}, {@code member_id} and {@code raft_term} name each server's
 *       own cluster and are removed;
 *   <li>REMAINING_TTL: a lease's remaining seconds depend on timing and are replaced by {@code
 *       <ttl>};
 *   <li>CLIENT_LOG: etcdctl's own JSON log lines on stderr (retry warnings, timestamps) are
 *       dropped;
 *   <li>JSON_PARSE_ERROR: the text of the error for a body that is not JSON comes from each
 *       server's JSON parser (Go's or protobuf-java's); the status and code must still match.
 * </ol>
 */
@Tag("integration")
class EtcdConformanceTest {
  private static final Path ETCD = Path.of("/usr/bin/etcd");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One etcdctl invocation; {@code $REV} and {@code $LEASE} are the last captured values. */
  private record Step(String stdin, String... args) {}

  private static Step $(String... args) {
    return new Step(null, args);
  }

  private static final List<Step> SESSION =
      List.of(
          $("put", "a", "1", "-w", "json"),
          $("put", "a", "2", "--prev-kv"),
          $("get", "a"),
          $("put", "b", "1"),
          $("put", "c", "1"),
          $("put", "c/x", "1"),
          $("get", "--prefix", ""),
          $("get", "a", "-w", "json"),
          $("get", "a", "--rev=$REV"),
          $("get", "--from-key", "b"),
          $("get", "--prefix", "c", "--keys-only"),
          $("get", "--prefix", "", "--limit=1", "-w", "json"),
          $("get", "--prefix", "", "--sort-by=MODIFY", "--order=DESCEND"),
          $("get", "--prefix", "", "--sort-by=VALUE", "--order=ASCEND", "--print-value-only"),
          $("get", "a", "c", "-w", "json"),
          $("get", "missing"),
          $("get", "missing", "-w", "json"),
          $("del", "a"),
          $("del", "a"),
          $("del", "--prefix", "c", "--prev-kv"),
          $("get", "--prefix", "", "--rev=$REV"),
          $(
              "get",
              "--prefix",
              "",
              "--rev=$REV",
              "--sort-by=CREATE",
              "--order=DESCEND",
              "-w",
              "json"),
          new Step(
              "value(\"b\") = \"1\"\n\nput b 2\nget b\ndel nothing\n\nput b failed\n\n", "txn"),
          new Step("value(\"b\") = \"1\"\n\nput b 3\n\nget b\n\n", "txn"),
          new Step(
              "mod(\"b\") > \"0\"\nversion(\"b\") = \"2\"\ncreate(\"z\") = \"0\"\n\nput z 1\n\n\n",
              "txn",
              "-w",
              "json"),
          new Step("c(\"b\") < \"1\"\n\n\nput y 1\n\n", "txn"),
          $("lease", "grant", "100"),
          $("lease", "list"),
          $("lease", "list", "-w", "json"),
          $("put", "leased", "v", "--lease=$LEASE"),
          $("get", "leased", "-w", "json"),
          $("lease", "timetolive", "$LEASE", "--keys"),
          $("lease", "keep-alive", "--once", "$LEASE"),
          $("lease", "revoke", "$LEASE"),
          $("get", "leased"),
          $("lease", "timetolive", "$LEASE"),
          $("lease", "revoke", "$LEASE"),
          $("lease", "list"),
          $("put", "x", "1", "-w", "json"),
          $("put", "x", "2"),
          $("compact", "$REV"),
          $("get", "x", "--rev=$REV"),
          $("compact", "$REV"),
          $("get", "a", "--rev=2"),
          $("watch", "--rev=2", "x"),
          new Step(tooManyOps(), "txn"),
          $("del", "--prefix", ""),
          $("get", "--prefix", ""));

  /** A transaction of 129 puts, one more than etcd's default --max-txn-ops. */
  private static String tooManyOps() {
    StringBuilder b = new StringBuilder("\n");
    for (int i = 0; i < 129; i++) {
      b.append("put many/").append(i).append(" v\n");
    }
    return b.append("\n\n").toString();
  }

  private static Path etcdDir;
  private static Process etcd;
  private static String etcdEndpoint;
  private static CohortNode node;

  @BeforeAll
  static void start() throws Exception {
    Etcdctl.assumeInstalled();
    assumeTrue(Files.isExecutable(ETCD), "etcd is not installed (apt-get install etcd-server)");
    etcdDir = Files.createTempDirectory("cohort-conformance-etcd");
    int client = freePort();
    int peer = freePort();
    etcd =
        new ProcessBuilder(
                ETCD.toString(),
                "--name",
                "conformance",
                "--data-dir",
                etcdDir.resolve("data").toString(),
                "--listen-client-urls",
                "http://127.0.0.1:" + client,
                "--advertise-client-urls",
                "http://127.0.0.1:" + client,
                "--listen-peer-urls",
                "http://127.0.0.1:" + peer,
                "--initial-advertise-peer-urls",
                "http://127.0.0.1:" + peer,
                "--initial-cluster",
                "conformance=http://127.0.0.1:" + peer)
            .redirectErrorStream(true)
            .redirectOutput(etcdDir.resolve("etcd.log").toFile())
            .start();
    etcdEndpoint = "127.0.0.1:" + client;
    Etcdctl etcdctl = new Etcdctl(etcdEndpoint);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (etcdctl.run(null, "endpoint", "health").exit() != 0) {
      if (System.nanoTime() > deadline || !etcd.isAlive()) {
        throw new AssertionError(
            "etcd did not start: " + Files.readString(etcdDir.resolve("etcd.log")));
      }
    }
    node =
        Cohort.start(HttpTestClient.embeddedNode("cohort-etcd-conformance").etcdPort(-1).build());
  }

  @AfterAll
  static void stop() throws Exception {
    if (etcd != null) {
      etcd.destroy();
      if (!etcd.waitFor(20, TimeUnit.SECONDS)) {
        etcd.destroyForcibly();
      }
    }
    if (node != null) {
      node.close();
    }
  }

  @Test
  void etcdctlSessionSameOutput() throws Exception {
    String reference = run(new Etcdctl(etcdEndpoint));
    String cohort = run(new Etcdctl("127.0.0.1:" + node.etcdAddress().orElseThrow().getPort()));
    assertEquals(reference, cohort);
  }

  /** One JSON gateway call: its path under /v3/ and its body ({@code $LEASE}: the last granted). */
  private record Call(String path, String body) {}

  // keys under "j/" (base64 "ai8="); range end "j0" ("ajA=")
  private static final List<Call> JSON_SESSION =
      List.of(
          new Call("kv/put", "{\"key\":\"ai9h\",\"value\":\"MQ==\"}"),
          new Call("kv/put", "{\"key\":\"ai9h\",\"value\":\"Mg==\",\"prev_kv\":true}"),
          new Call("kv/put", "{\"key\":\"ai9i\",\"value\":\"Mw==\"}"),
          new Call("kv/range", "{\"key\":\"ai9h\"}"),
          new Call("kv/range", "{\"key\":\"ai8=\",\"range_end\":\"ajA=\"}"),
          new Call(
              "kv/range",
              "{\"key\":\"ai8=\",\"range_end\":\"ajA=\",\"limit\":1,\"keys_only\":true}"),
          new Call("kv/range", "{\"key\":\"bm9uZQ==\"}"),
          new Call(
              "kv/txn",
              "{\"compare\":[{\"target\":\"CREATE\",\"key\":\"ai9h\",\"createRevision\":\"0\"}],"
                  + "\"success\":[{\"requestPut\":{\"key\":\"ai9h\",\"value\":\"eA==\"}}],"
                  + "\"failure\":[{\"requestRange\":{\"key\":\"ai9h\"}}]}"),
          new Call(
              "kv/txn",
              "{\"compare\":[{\"target\":\"VALUE\",\"key\":\"ai9h\",\"value\":\"Mg==\"}],"
                  + "\"success\":[{\"request_put\":{\"key\":\"ai9j\",\"value\":\"eQ==\"}},"
                  + "{\"request_delete_range\":{\"key\":\"ai9i\",\"prev_kv\":true}}]}"),
          new Call("lease/grant", "{\"TTL\":30}"),
          new Call("lease/leases", "{}"),
          new Call("lease/timetolive", "{\"ID\":\"$LEASE\",\"keys\":true}"),
          new Call("lease/revoke", "{\"ID\":\"$LEASE\"}"),
          new Call("lease/revoke", "{\"ID\":\"$LEASE\"}"),
          new Call("lease/leases", "{}"),
          new Call("kv/deleterange", "{\"key\":\"ai8=\",\"range_end\":\"ajA=\",\"prev_kv\":true}"),
          new Call("kv/put", "{\"key\":\"\",\"value\":\"MQ==\"}"),
          new Call("kv/range", "not json"));

  @Test
  void jsonGatewaySessionSameOutput() throws Exception {
    String reference = runJson("http://" + etcdEndpoint);
    String cohort = runJson("http://127.0.0.1:" + node.httpAddress().getPort());
    assertEquals(reference, cohort);
  }

  private static String runJson(String base) throws Exception {
    Normalizer normalizer = new Normalizer();
    HttpClient http = HttpClient.newHttpClient();
    StringBuilder transcript = new StringBuilder();
    // a watch of j/ opened first, so that every change of the session reaches it live
    HttpRequest watch =
        HttpRequest.newBuilder(URI.create(base + "/v3/watch"))
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"create_request\":{\"key\":\"ai8=\",\"range_end\":\"ajA=\"}}"))
            .build();
    BlockingQueue<String> watched = new LinkedBlockingQueue<>();
    var lines =
        http.sendAsync(watch, HttpResponse.BodyHandlers.ofLines()).get(10, TimeUnit.SECONDS).body();
    Thread reader = new Thread(() -> lines.forEach(watched::add), "json-watch-reader");
    reader.setDaemon(true);
    reader.start();
    String created = watched.poll(10, TimeUnit.SECONDS);
    if (created == null || !parse(created).path("result").path("created").asBoolean()) {
      throw new AssertionError("no created answer from the watch: " + created);
    }
    String lease = null;
    for (Call call : JSON_SESSION) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/v3/" + call.path()))
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          call.body().replace("$LEASE", String.valueOf(lease))))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      String body = r.body();
      if (call.path().equals("lease/grant")) {
        lease = parse(body).path("ID").asText();
      }
      if (call.body().equals("not json")) {
        body =
            body.replaceAll(
                "\"(error|message)\":\"(?:[^\"\\\\]|\\\\.)*\"", "\"$1\":\"<parse error>\"");
      }
      transcript
          .append("POST /v3/")
          .append(call.path())
          .append(' ')
          .append(call.body())
          .append('\n')
          .append(r.statusCode())
          .append(' ')
          .append(normalizer.apply(body.strip()))
          .append('\n');
    }
    // the session's 7 changes under j/, the events of one revision in one response
    int events = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (events < 7) {
      String line = watched.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line == null) {
        throw new AssertionError(
            "the watch delivered " + events + " of 7 events in 20 s:\n" + transcript);
      }
      JsonNode result = parse(line).path("result");
      events += result.path("events").size();
      transcript
          .append("watch ")
          .append(normalizer.apply(result.path("events").toString()))
          .append('\n');
    }
    lines.close();
    return transcript.toString();
  }

  private static JsonNode parse(String line) {
    try {
      return JSON.readTree(line);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("watch line is not JSON: " + line, e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** The normalized transcript of the session against one endpoint. */
  private static String run(Etcdctl etcdctl) throws Exception {
    Normalizer normalizer = new Normalizer();
    StringBuilder transcript = new StringBuilder();
    String revision = null;
    String lease = null;
    for (Step step : SESSION) {
      List<String> args = new ArrayList<>();
      for (String a : step.args()) {
        args.add(
            a.replace("$REV", String.valueOf(revision)).replace("$LEASE", String.valueOf(lease)));
      }
      Etcdctl.Result r = etcdctl.run(step.stdin(), args.toArray(String[]::new));
      Matcher rev = Pattern.compile("\"header\":\\{[^}]*\"revision\":(\\d+)").matcher(r.out());
      if (rev.find()) {
        revision = rev.group(1);
      }
      Matcher granted = Pattern.compile("lease ([0-9a-f]+) granted").matcher(r.out());
      if (granted.find()) {
        lease = granted.group(1);
      }
      transcript
          .append("$ etcdctl ")
          .append(String.join(" ", step.args()))
          .append('\n')
          .append("exit ")
          .append(r.exit())
          .append('\n')
          .append(normalizer.apply(r.out()))
          .append(normalizer.apply(dropClientLog(r.err())));
    }
    return transcript.toString();
  }

  private static String dropClientLog(String err) {
    StringBuilder kept = new StringBuilder();
    for (String line : err.split("\n", -1)) {
      if (!line.startsWith("{\"level\"") && !line.isEmpty()) {
        kept.append(line).append('\n');
      }
    }
    return kept.toString();
  }

  /** The named normalizations, applied in the order values appear in the session. */
  private static final class Normalizer {
    private final Map<Long, String> revisions = new HashMap<>();
    private final Map<Long, String> leases = new LinkedHashMap<>();
    private static final Pattern REVISION =
        Pattern.compile(
            "(\"(?:revision|create_revision|mod_revision)\":\"?)(\\d+)|(compacted revision )(\\d+)");
    private static final Pattern HEADER_IDS =
        Pattern.compile("\"(cluster_id|member_id|raft_term)\":\"?\\d+\"?,?");
    private static final Pattern LEASE =
        Pattern.compile("(lease )([0-9a-f]+)|(\"lease\":\"?|\"ID\":\"?|\"id\":)(\\d+)");

    /** etcdctl's {@code lease list}: a count line, then one hex id per line. */
    private static final Pattern LEASE_LIST =
        Pattern.compile("(found \\d+ leases\n)((?:[0-9a-f]+\n)*)");

    private static final Pattern REMAINING =
        Pattern.compile("remaining\\(\\d+s\\)|\"TTL\":\"?\\d+\"?");

    String apply(String text) {
      text = HEADER_IDS.matcher(text).replaceAll("");
      Matcher m = REVISION.matcher(text);
      StringBuilder out = new StringBuilder();
      while (m.find()) {
        String prefix = m.group(1) != null ? m.group(1) : m.group(3);
        long value = Long.parseLong(m.group(2) != null ? m.group(2) : m.group(4));
        String name =
            value == 0 ? "0" : revisions.computeIfAbsent(value, v -> "r" + (revisions.size() + 1));
        m.appendReplacement(out, Matcher.quoteReplacement(prefix + name));
      }
      m.appendTail(out);
      Matcher list = LEASE_LIST.matcher(out.toString());
      StringBuilder listed = new StringBuilder();
      while (list.find()) {
        StringBuilder names = new StringBuilder(list.group(1));
        for (String hex : list.group(2).split("\n")) {
          if (!hex.isEmpty()) {
            names.append(name(Long.parseUnsignedLong(hex, 16))).append('\n');
          }
        }
        list.appendReplacement(listed, Matcher.quoteReplacement(names.toString()));
      }
      list.appendTail(listed);
      Matcher l = LEASE.matcher(listed.toString());
      StringBuilder out2 = new StringBuilder();
      while (l.find()) {
        // etcdctl prints lease ids in hex, JSON in decimal: both name the same lease
        long id =
            l.group(2) != null
                ? Long.parseUnsignedLong(l.group(2), 16)
                : Long.parseLong(l.group(4));
        l.appendReplacement(
            out2,
            Matcher.quoteReplacement((l.group(1) != null ? l.group(1) : l.group(3)) + name(id)));
      }
      l.appendTail(out2);
      return REMAINING.matcher(out2.toString()).replaceAll("<ttl>");
    }

    private String name(long lease) {
      return leases.computeIfAbsent(lease, v -> "L" + (leases.size() + 1));
    }
  }
}
