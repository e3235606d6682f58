package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Debian's etcdctl 3.4 (API v3) end to end against an embedded node's etcd listener: keys, ranges,
 * revisions, transactions fed on stdin, watches, leases, locks, elections and the endpoint and
 * member commands. Each test uses its own key prefix.
 */
@Tag("integration")
class EtcdctlTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static CohortNode node;
  private static Etcdctl etcdctl;

  @BeforeAll
  static void start() throws Exception {
    Etcdctl.assumeInstalled();
    node = Cohort.start(HttpTestClient.embeddedNode("cohort-etcdctl").etcdPort(-1).build());
    etcdctl = new Etcdctl("127.0.0.1:" + node.etcdAddress().orElseThrow().getPort());
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void putGetRangesAndRevisions() throws Exception {
    assertEquals("OK\n", etcdctl.ok("put", "kv/a", "1"));
    etcdctl.ok("put", "kv/b", "2");
    etcdctl.ok("put", "kv/c", "3");
    etcdctl.ok("put", "~kw", "other"); // "~" sorts after every other test's keys
    etcdctl.ok("put", "~kx", "last");
    assertEquals("kv/a\n1\n", etcdctl.ok("get", "kv/a"));
    assertEquals("kv/a\n1\nkv/b\n2\nkv/c\n3\n", etcdctl.ok("get", "--prefix", "kv/"));
    assertEquals("~kw\nother\n~kx\nlast\n", etcdctl.ok("get", "--from-key", "~kw"));
    assertEquals(
        "kv/a\nkv/b\n",
        etcdctl.ok("get", "--prefix", "kv/", "--keys-only", "--limit=2").replace("\n\n", "\n"));
    assertEquals(
        "kv/c\n3\nkv/b\n2\nkv/a\n1\n",
        etcdctl.ok("get", "--prefix", "kv/", "--order=DESCEND", "--sort-by=KEY"));

    JsonNode before = JSON.readTree(etcdctl.ok("get", "kv/a", "-w", "json"));
    long revision = before.at("/header/revision").asLong();
    JsonNode kv = before.at("/kvs/0");
    assertEquals("kv/a", decode(kv.get("key").asText()));
    assertEquals(1, kv.get("version").asLong());
    etcdctl.ok("put", "kv/a", "changed");
    assertEquals("kv/a\nchanged\n", etcdctl.ok("get", "kv/a"));
    assertEquals("kv/a\n1\n", etcdctl.ok("get", "kv/a", "--rev=" + revision));
    JsonNode after = JSON.readTree(etcdctl.ok("get", "kv/a", "-w", "json"));
    assertEquals(revision + 1, after.at("/header/revision").asLong());
    assertEquals(2, after.at("/kvs/0/version").asLong());
    JsonNode page = JSON.readTree(etcdctl.ok("get", "--prefix", "kv/", "--limit=1", "-w", "json"));
    assertEquals(3, page.get("count").asLong());
    assertTrue(page.get("more").asBoolean());
    assertEquals(1, page.get("kvs").size());

    // the whole prefix as it was before the change (the change replayed back from kv's history)
    assertEquals(
        "kv/a\n1\nkv/b\n2\nkv/c\n3\n", etcdctl.ok("get", "--prefix", "kv/", "--rev=" + revision));
    assertEquals("3\n", etcdctl.ok("del", "--prefix", "kv/"));
    assertEquals("", etcdctl.ok("get", "--prefix", "kv/"));
    assertEquals("~kw\nother\n", etcdctl.ok("get", "~kw"));
  }

  @Test
  void txnFromStdin() throws Exception {
    etcdctl.ok("put", "txn/k", "v1");
    String script =
        "value(\"txn/k\") = \"v1\"\n\nput txn/k v2\nput txn/other yes\n\nput txn/failed yes\n\n";
    Etcdctl.Result won = etcdctl.run(script, "txn");
    assertEquals(0, won.exit(), won.err());
    assertEquals("SUCCESS\n\nOK\n\nOK\n", won.out());
    assertEquals("txn/k\nv2\n", etcdctl.ok("get", "txn/k"));

    Etcdctl.Result lost = etcdctl.run(script, "txn");
    assertEquals("FAILURE\n\nOK\n", lost.out());
    assertEquals("txn/failed\nyes\n", etcdctl.ok("get", "txn/failed"));
    assertEquals("txn/k\nv2\n", etcdctl.ok("get", "txn/k"));

    // create-revision compare (the lock recipe's), and a compare that etcd's parser refuses
    String create = "c(\"txn/new\") = \"0\"\n\nput txn/new first\n\n\n";
    assertEquals("SUCCESS\n\nOK\n", etcdctl.run(create, "txn").out());
    assertEquals("FAILURE\n", etcdctl.run(create, "txn").out());
  }

  @Test
  void watchFromRevision() throws Exception {
    long start =
        JSON.readTree(etcdctl.ok("put", "watch/a", "1", "-w", "json"))
            .at("/header/revision")
            .asLong();
    etcdctl.ok("put", "watch/b", "2");
    etcdctl.ok("del", "watch/a");
    try (Etcdctl.Running watch =
        etcdctl.new Running("watch", "--prefix", "watch/", "--rev=" + start)) {
      // a delete prints its key and an empty value
      assertEquals(
          List.of("PUT", "watch/a", "1", "PUT", "watch/b", "2", "DELETE", "watch/a", ""),
          watch.lines(9));
      etcdctl.ok("put", "watch/c", "3");
      assertEquals(List.of("PUT", "watch/c", "3"), watch.lines(3));
    }
  }

  @Test
  void leases() throws Exception {
    Matcher granted =
        Pattern.compile("lease ([0-9a-f]+) granted with TTL\\((\\d+)s\\)")
            .matcher(etcdctl.ok("lease", "grant", "60"));
    assertTrue(granted.find());
    String id = granted.group(1);
    assertEquals("60", granted.group(2));
    // other tests of this node hold leases too (locks, elections): only this one is asserted on
    assertTrue(listedLeases().contains(id));
    etcdctl.ok("put", "lease/k", "v", "--lease=" + id);
    assertEquals(
        "lease " + id + " keepalived with TTL(60)\n",
        etcdctl.ok("lease", "keep-alive", "--once", id));
    String ttl = etcdctl.ok("lease", "timetolive", id, "--keys");
    assertTrue(
        ttl.matches(
            "lease "
                + id
                + " granted with TTL\\(60s\\), remaining\\(\\d+s\\), attached keys\\(\\[lease/k\\]\\)\n"),
        ttl);
    assertEquals("lease " + id + " revoked\n", etcdctl.ok("lease", "revoke", id));
    assertEquals("", etcdctl.ok("get", "lease/k"));
    assertFalse(listedLeases().contains(id));
    assertEquals("lease " + id + " already expired\n", etcdctl.ok("lease", "timetolive", id));
    Etcdctl.Result missing = etcdctl.run(null, "lease", "revoke", id);
    assertNotEquals(0, missing.exit());
    assertTrue(missing.err().contains("requested lease not found"), missing.err());
  }

  /** The ids {@code etcdctl lease list} prints, after checking its count line against them. */
  private List<String> listedLeases() throws Exception {
    List<String> lines = List.of(etcdctl.ok("lease", "list").split("\n"));
    assertEquals("found " + (lines.size() - 1) + " leases", lines.get(0), String.join("\n", lines));
    return lines.subList(1, lines.size());
  }

  @Test
  void endpointAndMembers() throws Exception {
    String endpoint = "127.0.0.1:" + node.etcdAddress().orElseThrow().getPort();
    Etcdctl.Result health = etcdctl.run(null, "endpoint", "health");
    assertEquals(0, health.exit(), health.err());
    assertTrue(
        (health.out() + health.err()).startsWith(endpoint + " is healthy"),
        health.out() + health.err());
    JsonNode status = JSON.readTree(etcdctl.ok("endpoint", "status", "-w", "json")).get(0);
    assertEquals("3.4.23", status.at("/Status/version").asText());
    assertEquals(
        status.at("/Status/header/member_id").asLong(), status.at("/Status/leader").asLong());
    String members = etcdctl.ok("member", "list");
    assertTrue(members.contains("started") && members.contains("http://" + endpoint), members);
  }

  @Test
  void lockSerializesTwoContenders() throws Exception {
    try (Etcdctl.Running first = etcdctl.new Running("lock", "locks/one")) {
      String holder = first.lines(1).get(0);
      assertTrue(holder.startsWith("locks/one/"), holder);
      // the second contender starts once the first holds the lock, and must wait
      try (Etcdctl.Running second = etcdctl.new Running("lock", "locks/one")) {
        assertNull(second.next(Duration.ofSeconds(2)), "the second contender must wait");
        first.interrupt();
        String next = second.lines(1).get(0);
        assertTrue(next.startsWith("locks/one/") && !next.equals(holder), next);
      }
    }
    // with a command: it runs while the lock is held, then etcdctl unlocks
    assertEquals("held\n", etcdctl.ok("lock", "locks/cmd", "--", "echo", "held"));
    assertEquals("", etcdctl.ok("get", "--prefix", "locks/cmd"));
  }

  @Test
  void electionTakeoverWhenLeaderLeaseEnds() throws Exception {
    try (Etcdctl.Running first = etcdctl.new Running("elect", "elections/one", "alpha")) {
      List<String> leader = first.lines(2);
      assertEquals("alpha", leader.get(1));
      assertTrue(leader.get(0).startsWith("elections/one/"), leader.toString());
      try (Etcdctl.Running second = etcdctl.new Running("elect", "elections/one", "beta");
          Etcdctl.Running observer = etcdctl.new Running("elect", "-l", "elections/one")) {
        assertEquals(List.of(leader.get(0), "alpha"), observer.lines(2));
        assertNull(second.next(Duration.ofSeconds(2)), "one leader at a time");
        // the leader dies without resigning, and its session's lease ends (etcdctl's elect has no
        // TTL flag; its 60 s session is ended by revoking the lease named in the leader key)
        first.kill();
        String lease = leader.get(0).substring("elections/one/".length());
        etcdctl.ok("lease", "revoke", lease);
        List<String> next = second.lines(2);
        assertEquals("beta", next.get(1));
        assertNotEquals(leader.get(0), next.get(0));
        assertEquals(List.of(next.get(0), "beta"), observer.lines(2));
      }
    }
  }

  private static String decode(String base64) {
    return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }
}
