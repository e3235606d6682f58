package dev.cohort.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Where the journal and snapshots live, read from {@code cohort.persistence} (see {@code
 * reference.conf}). The embedded default keeps events in Cohort's append-only file journal and
 * snapshots in an H2 file database, both in the node's data directory; a cluster keeps both in one
 * shared PostgreSQL database.
 *
 * @param journal where events live
 * @param h2Directory the directory of the H2 database files (embedded journals only)
 * @param fileDirectory the directory of the file journal's segments ({@code file} only)
 * @param segmentBytes the size at which the file journal starts a new segment file
 * @param postgresUrl JDBC url of the PostgreSQL database (cluster only)
 * @param user database user
 * @param password database password
 * @param maxConnections connection pool size for the journal
 * @param probeTimeout how long a readiness probe waits for the database to answer
 * @param idleInTransactionTimeout after how long PostgreSQL ends a session that holds a transaction
 *     open without using it (a paused or cut-off node's half-done journal write)
 */
public record PersistenceSettings(
    Journal journal,
    Path h2Directory,
    Path fileDirectory,
    long segmentBytes,
    String postgresUrl,
    String user,
    String password,
    int maxConnections,
    Duration probeTimeout,
    Duration idleInTransactionTimeout) {

  /** Without the password: settings may end up in a log line or an error message. */
  @Override
  public String toString() {
    return "PersistenceSettings[journal="
        + journal
        + ", postgresUrl="
        + postgresUrl
        + ", user="
        + user
        + ", password=<hidden>, maxConnections="
        + maxConnections
        + "]";
  }

  /** Where events can live. */
  public enum Journal {
    /** Cohort's append-only segment files; snapshots in H2. One node. */
    FILE,
    /** Events and snapshots in an embedded H2 database. One node. */
    H2,
    /** Events and snapshots in a shared PostgreSQL database. Any number of nodes. */
    POSTGRESQL;

    /** Whether the JDBC plugins (snapshots, and events with {@code h2}) use the embedded H2. */
    public boolean embeddedH2() {
      return this != POSTGRESQL;
    }
  }

  public static PersistenceSettings create(Config config) {
    Config c = config.getConfig("cohort.persistence");
    String kind = c.getString("journal").toLowerCase(Locale.ROOT);
    Journal journal =
        switch (kind) {
          case "file" -> Journal.FILE;
          case "h2" -> Journal.H2;
          case "postgresql", "postgres" -> Journal.POSTGRESQL;
          default ->
              throw new IllegalArgumentException(
                  "cohort.persistence.journal must be 'file', 'h2' or 'postgresql', not '"
                      + kind
                      + "'");
        };
    String h2Dir = c.getString("h2.directory");
    Path dataDir = Path.of(config.getString("cohort.node.data-dir"));
    Path h2Directory =
        (h2Dir.isEmpty() ? dataDir.resolve("journal") : Path.of(h2Dir)).toAbsolutePath();
    String fileDir = c.getString("file.directory");
    Path fileDirectory =
        (fileDir.isEmpty() ? dataDir.resolve("journal").resolve("events") : Path.of(fileDir))
            .toAbsolutePath();
    long segmentBytes = c.getBytes("file.segment-size");
    if (segmentBytes < 1024 * 1024) {
      throw new IllegalArgumentException(
          "cohort.persistence.file.segment-size must be at least 1MiB, not " + segmentBytes);
    }
    boolean h2 = journal.embeddedH2();
    return new PersistenceSettings(
        journal,
        h2Directory,
        fileDirectory,
        segmentBytes,
        c.getString("postgresql.url"),
        h2 ? "sa" : c.getString("postgresql.user"),
        h2 ? "" : c.getString("postgresql.password"),
        c.getInt("max-connections"),
        c.getDuration("probe-timeout"),
        c.getDuration("postgresql.idle-in-transaction-timeout"));
  }

  /**
   * The JDBC url. H2 runs with {@code WRITE_DELAY=0} so that a committed journal write reaches the
   * file before the write is acknowledged (a process kill loses nothing acknowledged), and with
   * {@code DB_CLOSE_ON_EXIT=FALSE} so that H2's own shutdown hook does not close the database under
   * a graceful shutdown that is still writing.
   */
  public String jdbcUrl() {
    return switch (journal) {
      case FILE, H2 ->
          "jdbc:h2:file:"
              + h2Directory.resolve("cohort")
              + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=10000";
      case POSTGRESQL -> postgresUrl;
    };
  }

  /** A new connection to the journal database; the caller closes it. */
  public Connection openConnection() throws SQLException {
    Properties properties = new Properties();
    properties.setProperty("user", user);
    properties.setProperty("password", password);
    if (journal == Journal.POSTGRESQL) {
      String seconds = Long.toString(Math.max(1, probeTimeout.toSeconds()));
      properties.setProperty("connectTimeout", seconds);
      properties.setProperty("loginTimeout", seconds);
    }
    return DriverManager.getConnection(jdbcUrl(), properties);
  }

  /**
   * The Pekko persistence plugins' configuration: with {@code file}, the journal plugin is Cohort's
   * file journal in {@link #fileDirectory}; the pekko-persistence-jdbc plugins (snapshot store, and
   * the journal otherwise) share one Slick database (one connection pool).
   */
  public Config pluginConfig() {
    Map<String, Object> db = new HashMap<>();
    db.put("url", jdbcUrl());
    db.put("user", user);
    db.put("password", password);
    boolean h2 = journal.embeddedH2();
    db.put("driver", h2 ? "org.h2.Driver" : "org.postgresql.Driver");
    db.put("numThreads", maxConnections);
    db.put("maxConnections", maxConnections);
    db.put("minConnections", 1);
    db.put("connectionTimeout", probeTimeout.toMillis());
    if (journal == Journal.POSTGRESQL) {
      // A node paused (GC, SIGSTOP) or cut off in the middle of a journal write keeps its
      // transaction, and the locks of the rows it inserted, open; the node that took its entities
      // over would wait on those locks to write the same sequence numbers until it came back.
      // PostgreSQL ends such a session after this long, so the half-done write is rolled back.
      db.put(
          "properties",
          Map.of(
              "options",
              "-c idle_in_transaction_session_timeout=" + idleInTransactionTimeout.toMillis()));
    }
    String profile = h2 ? "slick.jdbc.H2Profile$" : "slick.jdbc.PostgresProfile$";
    Config journalPlugin =
        journal == Journal.FILE
            ? ConfigFactory.empty()
                .withValue(
                    "pekko.persistence.journal.plugin",
                    ConfigValueFactory.fromAnyRef("cohort-file-journal"))
                .withValue(
                    "cohort-file-journal.directory",
                    ConfigValueFactory.fromAnyRef(fileDirectory.toString()))
                .withValue(
                    "cohort-file-journal.segment-size", ConfigValueFactory.fromAnyRef(segmentBytes))
            : ConfigFactory.empty();
    return journalPlugin
        .withValue(
            "pekko-persistence-jdbc.shared-databases.slick.profile",
            ConfigValueFactory.fromAnyRef(profile))
        .withValue(
            "pekko-persistence-jdbc.shared-databases.slick.db", ConfigValueFactory.fromMap(db));
  }
}
