package dev.cohort.persistence;

import dev.cohort.persistence.internal.JournalSchema;
import java.sql.Connection;
import java.sql.SQLException;

/** Checks that the journal database answers, for readiness, and prepares its schema at start. */
public final class JournalProbe {
  private final PersistenceSettings settings;

  public JournalProbe(PersistenceSettings settings) {
    this.settings = settings;
  }

  /**
   * Creates the journal schema if it is missing; throws {@link JournalUnavailableException}. With
   * the file journal, also refuses (with an {@link IllegalArgumentException} naming the key) a data
   * directory whose events are still in the embedded H2 journal.
   */
  public void prepareSchema() {
    JournalSchema.createIfMissing(settings);
    JournalSchema.refuseEventsLeftInH2(settings);
  }

  /**
   * True when a fresh connection to the journal database validates within the probe timeout.
   * Blocking: call it off the actor dispatchers.
   */
  public boolean answers() {
    try (Connection connection = settings.openConnection()) {
      return connection.isValid((int) Math.max(1, settings.probeTimeout().toSeconds()));
    } catch (SQLException e) {
      return false;
    }
  }

  public PersistenceSettings settings() {
    return settings;
  }
}
