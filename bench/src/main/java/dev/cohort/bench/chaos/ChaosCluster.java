package dev.cohort.bench.chaos;

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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * A cluster of real node processes on 127.0.0.1 … 127.0.0.N over the shared PostgreSQL journal, as
 * {@code conf/cluster-node.conf} sets one up, for the fault harness. Each run gets a database of
 * its own (created next to {@code COHORT_PG_URL}'s and dropped at close), so histories start from
 * empty registers. Every node lists every node as a seed, so a restarted first seed rejoins the
 * running cluster instead of forming a new one.
 */
public final class ChaosCluster implements AutoCloseable {
  private static final ObjectMapper json = new ObjectMapper();
  static final Duration START = Duration.ofSeconds(180);

  private final List<ChaosNode> nodes = new ArrayList<>();

  /** Nodes prepared (ports, configuration, in every seed list) but not started: {@link #join}. */
  private final List<ChaosNode> spares = new ArrayList<>();

  /** Nodes that left the cluster on request: no longer expected, killed on close if still up. */
  private final List<ChaosNode> retired = new ArrayList<>();

  private final List<String> lateRestarts = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final PostgresAdmin postgres;
  private final String database;
  private Firewall firewall;

  private ChaosCluster(PostgresAdmin postgres, String database) {
    this.postgres = postgres;
    this.database = database;
  }

  /**
   * Starts {@code count} nodes and waits until all are Up and ready.
   *
   * @param root the repository root (holds {@code ./cohort} and {@code conf/})
   * @param work a scratch directory for data directories, configuration and logs
   * @param partitions whether to enroll the nodes in the firewall (needs root)
   */
  public static ChaosCluster start(Path root, Path work, int count, boolean partitions)
      throws Exception {
    return start(root, work, count, count, partitions);
  }

  /**
   * Prepares {@code prepared} nodes and starts the first {@code count} of them; {@link #join}
   * starts the others one at a time.
   */
  public static ChaosCluster start(
      Path root, Path work, int count, int prepared, boolean partitions) throws Exception {
    PostgresAdmin postgres = PostgresAdmin.fromEnvironment();
    String database = "cohort_chaos_" + System.currentTimeMillis();
    postgres.createDatabase(database);
    ChaosCluster cluster = new ChaosCluster(postgres, database);
    try {
      String template = Files.readString(root.resolve("conf/cluster-node.conf"));
      List<Integer> httpPorts = new ArrayList<>();
      List<Integer> remotePorts = new ArrayList<>();
      List<String> seeds = new ArrayList<>();
      for (int i = 0; i < prepared; i++) {
        httpPorts.add(freePort());
        remotePorts.add(freePort());
        seeds.add("127.0.0." + (i + 1) + ":" + remotePorts.get(i));
      }
      if (partitions) {
        cluster.firewall = Firewall.open(work.resolve("net_cls"));
      }
      for (int i = 0; i < prepared; i++) {
        Path config = work.resolve("n" + (i + 1) + ".conf");
        Files.writeString(
            config,
            template
                + "\n# fault harness\n"
                + "cohort.gateway.host = \"127.0.0."
                + (i + 1)
                + "\"\n"
                + "cohort.persistence.postgresql.url = \""
                + postgres.urlOf(database)
                + "\"\n");
        ChaosNode node =
            new ChaosNode(
                i,
                httpPorts.get(i),
                remotePorts.get(i),
                work.resolve("n" + (i + 1)),
                config,
                root.resolve("cohort"),
                seeds);
        (i < count ? cluster.nodes : cluster.spares).add(node);
      }
      // The first seed forms the cluster; the others join it.
      cluster.startNode(cluster.nodes.getFirst());
      awaitUntil(START, "n1 ready", () -> cluster.nodes.getFirst().ready(cluster.http), cluster);
      for (ChaosNode node : cluster.nodes.subList(1, count)) {
        cluster.startNode(node);
      }
      cluster.awaitHealthy(START);
      return cluster;
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
  }

  public List<ChaosNode> nodes() {
    return List.copyOf(nodes);
  }

  /** Starts the next prepared node, which joins the cluster, and waits until all are healthy. */
  public ChaosNode join() throws Exception {
    ChaosNode node = spares.removeFirst();
    nodes.add(node);
    startNode(node);
    awaitHealthy(START);
    return node;
  }

  /** Stops expecting {@code node}: it was asked to leave the cluster and exits by itself. */
  public void retire(ChaosNode node) {
    nodes.remove(node);
    retired.add(node);
  }

  public List<URI> gateways() {
    return nodes.stream().map(ChaosNode::gateway).toList();
  }

  Firewall firewall() {
    if (firewall == null) {
      throw new IllegalStateException("this cluster was started without partitions");
    }
    return firewall;
  }

  PostgresAdmin postgres() {
    return postgres;
  }

  HttpClient http() {
    return http;
  }

  /** Starts (or restarts) a node and enrolls its JVM for partitions. */
  void startNode(ChaosNode node) throws IOException {
    node.start();
    if (firewall != null) {
      firewall.enroll(node);
    }
  }

  /**
   * Restarts every node that has exited (downed, killed); returns their names and exit statuses.
   */
  List<String> restartExited() throws IOException {
    List<String> restarted = new ArrayList<>();
    for (ChaosNode node : nodes) {
      Integer status = node.exitStatus();
      if (status != null) {
        restarted.add(node.name() + ":" + status);
        startNode(node);
      }
    }
    return restarted;
  }

  /**
   * Waits until every node is ready and every node sees all nodes Up and reachable, restarting (as
   * a supervisor would) any node that exits meanwhile: a node that was slow to answer heartbeats
   * after its restart may be downed again. Such restarts are kept in {@link #takeLateRestarts}.
   */
  public void awaitHealthy(Duration timeout) throws Exception {
    awaitUntil(
        timeout,
        "all " + nodes.size() + " nodes Up, reachable and ready",
        () -> {
          lateRestarts.addAll(restartExited());
          return healthy();
        },
        this);
  }

  /** Nodes restarted while waiting for health since the last call, as {@code name:exit status}. */
  List<String> takeLateRestarts() {
    List<String> taken = List.copyOf(lateRestarts);
    lateRestarts.clear();
    return taken;
  }

  private boolean healthy() {
    for (ChaosNode node : nodes) {
      if (!node.alive() || !node.ready(http)) {
        return false;
      }
      try {
        HttpResponse<String> response =
            http.send(
                HttpRequest.newBuilder(node.gateway().resolve("/v1/cluster"))
                    .timeout(Duration.ofSeconds(2))
                    .GET()
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode members = json.readTree(response.body()).path("members");
        long upAndReachable = 0;
        for (JsonNode member : members) {
          if (member.path("status").asText().equals("Up")
              && member.path("reachable").asBoolean(true)) {
            upAndReachable++;
          }
        }
        if (members.size() != nodes.size() || upAndReachable != nodes.size()) {
          return false;
        }
      } catch (IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  interface Condition {
    boolean holds() throws Exception;
  }

  static void awaitUntil(Duration timeout, String what, Condition condition, ChaosCluster cluster)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.holds()) {
        return;
      }
      LockSupport.parkNanos(Duration.ofMillis(250).toNanos());
    }
    StringBuilder logs = new StringBuilder();
    for (ChaosNode node : cluster.nodes) {
      logs.append("\n--- ")
          .append(node.name())
          .append(" (exit ")
          .append(node.exitStatus())
          .append(")\n")
          .append(node.logTail());
    }
    throw new IllegalStateException("not within " + timeout + ": " + what + logs);
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() throws Exception {
    nodes.addAll(retired);
    for (ChaosNode node : nodes) {
      if (node.alive()) {
        node.resume();
        node.kill();
      }
    }
    if (firewall != null) {
      firewall.close();
    }
    postgres.dropDatabase(database);
  }

  /** The PostgreSQL server the tests use ({@code COHORT_PG_URL} and its credentials). */
  static final class PostgresAdmin {
    private final String url;
    private final String user;
    private final String password;

    private PostgresAdmin(String url, String user, String password) {
      this.url = url;
      this.user = user;
      this.password = password;
    }

    static PostgresAdmin fromEnvironment() {
      String url =
          System.getenv().getOrDefault("COHORT_PG_URL", "jdbc:postgresql://127.0.0.1:5432/cohort");
      return new PostgresAdmin(
          url,
          System.getenv().getOrDefault("COHORT_PG_USER", "cohort"),
          System.getenv().getOrDefault("COHORT_PG_PASSWORD", "cohort"));
    }

    /** The same server's url for another database. */
    String urlOf(String database) {
      int slash = url.lastIndexOf('/');
      int query = url.indexOf('?', slash);
      return url.substring(0, slash + 1) + database + (query < 0 ? "" : url.substring(query));
    }

    void createDatabase(String database) throws SQLException {
      execute(
          "CREATE DATABASE " + database,
          "the fault harness creates a database per run: the role needs CREATEDB (ALTER ROLE "
              + user
              + " CREATEDB), as .ci/run grants");
    }

    void dropDatabase(String database) throws SQLException {
      execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)", "dropping " + database);
    }

    private void execute(String sql, String context) throws SQLException {
      try (Connection connection = DriverManager.getConnection(url, user, password);
          Statement statement = connection.createStatement()) {
        statement.execute(sql);
      } catch (SQLException e) {
        throw new SQLException(context + ": " + e.getMessage(), e);
      }
    }

    /** Stops or starts the local server through Debian's pg_ctlcluster (journal outage). */
    void control(String action) throws IOException, InterruptedException {
      try (var versions = Files.list(Path.of("/etc/postgresql"))) {
        String version =
            versions
                .map(p -> p.getFileName().toString())
                .sorted()
                .reduce((a, b) -> b)
                .orElseThrow(() -> new IOException("no PostgreSQL cluster under /etc/postgresql"));
        List<String> command = new ArrayList<>(List.of("pg_ctlcluster", version, "main", action));
        if (action.equals("stop")) {
          command.addAll(List.of("-m", "fast"));
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
          throw new IOException(String.join(" ", command) + " failed: " + out);
        }
      }
    }

    /** Why a journal outage cannot be injected here, or null. */
    static String outageUnavailableReason() {
      if (!Files.isDirectory(Path.of("/etc/postgresql"))) {
        return "no local PostgreSQL cluster under /etc/postgresql to stop and start";
      }
      return null;
    }
  }
}
