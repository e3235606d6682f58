package dev.cohort.persistence;

/** The journal database could not be reached or its schema could not be created. */
public final class JournalUnavailableException extends RuntimeException {
  public JournalUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
