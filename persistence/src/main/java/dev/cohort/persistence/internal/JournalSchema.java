package dev.cohort.persistence.internal;

import dev.cohort.persistence.JournalUnavailableException;
import dev.cohort.persistence.PersistenceSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * Creates the journal, snapshot and durable-state tables when they are missing, using the DDL that
 * pekko-persistence-jdbc ships for the database (read from its jar at run time), so that the schema
 * always matches the plugin version on the classpath.
 *
 * <p>Idempotent and safe against two nodes creating at once: the DDL runs in one transaction and,
 * when it fails, the table check is repeated before the failure is reported.
 */
public final class JournalSchema {
  private JournalSchema() {}

  public static void createIfMissing(PersistenceSettings settings) {
    try (Connection connection = settings.openConnection()) {
      if (journalTableExists(connection)) {
        return;
      }
      try {
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
          for (String ddl : statements(settings.journal())) {
            statement.execute(ddl);
          }
        }
        connection.commit();
      } catch (SQLException e) {
        connection.rollback();
        if (!journalTableExists(connection)) {
          throw e;
        }
      }
    } catch (SQLException | IOException e) {
      throw new JournalUnavailableException(
          "cannot create the journal schema at " + settings.jdbcUrl() + ": " + e.getMessage(), e);
    }
  }

  /**
   * With the file journal, refuses a data directory whose events are still in the embedded H2
   * journal table (a node that ran with {@code journal = "h2"}, the default before the file
   * journal): starting would show every entity empty while its events sit unread next to it.
   *
   * @throws IllegalArgumentException naming {@code cohort.persistence.journal}
   */
  public static void refuseEventsLeftInH2(PersistenceSettings settings) {
    if (settings.journal() != PersistenceSettings.Journal.FILE
        || hasSegments(settings.fileDirectory())) {
      return;
    }
    try (Connection connection = settings.openConnection();
        Statement statement = connection.createStatement();
        ResultSet row = statement.executeQuery("SELECT 1 FROM PUBLIC.\"event_journal\" LIMIT 1")) {
      if (row.next()) {
        throw new IllegalArgumentException(
            "cohort.persistence.journal is 'file' but the events of this data directory are in"
                + " its H2 journal ("
                + settings.h2Directory()
                + "); set cohort.persistence.journal = h2 to keep using them, or start with an"
                + " empty data directory");
      }
    } catch (SQLException e) {
      throw new JournalUnavailableException(
          "cannot read the H2 journal at " + settings.jdbcUrl() + ": " + e.getMessage(), e);
    }
  }

  private static boolean hasSegments(Path directory) {
    if (!Files.isDirectory(directory)) {
      return false;
    }
    try (Stream<Path> files = Files.list(directory)) {
      return files.anyMatch(file -> file.getFileName().toString().endsWith(".log"));
    } catch (IOException e) {
      throw new JournalUnavailableException(
          "cannot list the file journal at " + directory + ": " + e.getMessage(), e);
    }
  }

  private static boolean journalTableExists(Connection connection) throws SQLException {
    for (String name : List.of("event_journal", "EVENT_JOURNAL")) {
      try (ResultSet tables = connection.getMetaData().getTables(null, null, name, null)) {
        if (tables.next()) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * The plugin's script split into statements. PostgreSQL's script builds indexes {@code
   * CONCURRENTLY}, which cannot run inside a transaction; on an empty table a plain build is
   * equivalent.
   */
  private static List<String> statements(PersistenceSettings.Journal journal) throws IOException {
    String resource =
        switch (journal) {
          case FILE, H2 -> "schema/h2/h2-create-schema.sql";
          case POSTGRESQL -> "schema/postgres/postgres-create-schema.sql";
        };
    try (InputStream in = JournalSchema.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("pekko-persistence-jdbc's " + resource + " is not on the classpath");
      }
      String script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return Arrays.stream(script.replace(" CONCURRENTLY ", " ").split(";"))
          .map(String::strip)
          .filter(s -> !s.isEmpty())
          .toList();
    }
  }
}
