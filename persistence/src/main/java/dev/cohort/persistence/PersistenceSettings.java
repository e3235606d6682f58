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
 * reference.conf}). The embedded default is an H2 file database in the node's data directory; a
 * cluster uses one shared PostgreSQL database.
 *
 * @param journal which database holds the journal
 * @param h2Directory the directory of the H2 database files (embedded default only)
 * @param postgresUrl JDBC url of the PostgreSQL database (cluster only)
 * @param user database user
 * @param password database password
 * @param maxConnections connection pool size for the journal
 * @param probeTimeout how long a readiness probe waits for the database to answer
 */
public record PersistenceSettings(
    Journal journal,
    Path h2Directory,
    String postgresUrl,
    String user,
    String password,
    int maxConnections,
    Duration probeTimeout) {

  /** The journal databases Cohort supports. */
  public enum Journal {
    H2,
    POSTGRESQL
  }

  public static PersistenceSettings create(Config config) {
    Config c = config.getConfig("cohort.persistence");
    String kind = c.getString("journal").toLowerCase(Locale.ROOT);
    Journal journal =
        switch (kind) {
          case "h2" -> Journal.H2;
          case "postgresql", "postgres" -> Journal.POSTGRESQL;
          default ->
              throw new IllegalArgumentException(
                  "cohort.persistence.journal must be 'h2' or 'postgresql', not '" + kind + "'");
        };
    String h2Dir = c.getString("h2.directory");
    Path dataDir = Path.of(config.getString("cohort.node.data-dir"));
    Path h2Directory =
        (h2Dir.isEmpty() ? dataDir.resolve("journal") : Path.of(h2Dir)).toAbsolutePath();
    boolean h2 = journal == Journal.H2;
    return new PersistenceSettings(
        journal,
        h2Directory,
        c.getString("postgresql.url"),
        h2 ? "sa" : c.getString("postgresql.user"),
        h2 ? "" : c.getString("postgresql.password"),
        c.getInt("max-connections"),
        c.getDuration("probe-timeout"));
  }

  /**
   * The JDBC url. H2 runs with {@code WRITE_DELAY=0} so that a committed journal write reaches the
   * file before the write is acknowledged (a process kill loses nothing acknowledged), and with
   * {@code DB_CLOSE_ON_EXIT=FALSE} so that H2's own shutdown hook does not close the database under
   * a graceful shutdown that is still writing.
   */
  public String jdbcUrl() {
    return switch (journal) {
      case H2 ->
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
   * The pekko-persistence-jdbc configuration for this journal: journal, snapshot store and read
   * journal share one Slick database (one connection pool).
   */
  public Config pluginConfig() {
    Map<String, Object> db = new HashMap<>();
    db.put("url", jdbcUrl());
    db.put("user", user);
    db.put("password", password);
    db.put("driver", journal == Journal.H2 ? "org.h2.Driver" : "org.postgresql.Driver");
    db.put("numThreads", maxConnections);
    db.put("maxConnections", maxConnections);
    db.put("minConnections", 1);
    db.put("connectionTimeout", probeTimeout.toMillis());
    String profile =
        journal == Journal.H2 ? "slick.jdbc.H2Profile$" : "slick.jdbc.PostgresProfile$";
    return ConfigFactory.empty()
        .withValue(
            "pekko-persistence-jdbc.shared-databases.slick.profile",
            ConfigValueFactory.fromAnyRef(profile))
        .withValue(
            "pekko-persistence-jdbc.shared-databases.slick.db",
            ConfigValueFactory.fromMap(db));
  }
}
