package dev.cohort.persistence;

/** The errors of the journal itself that reach callers, declared once. */
public enum JournalError implements ErrorCode {
  /**
   * The embedded journal's last write failed (a full disk, an I/O error) and no write has succeeded
   * since: writes are refused until the journal's probe sees the disk take writes again.
   */
  JOURNAL_WRITE_FAILED(ErrorKind.UNAVAILABLE);

  private final ErrorKind kind;

  JournalError(ErrorKind kind) {
    this.kind = kind;
  }

  @Override
  public ErrorKind kind() {
    return kind;
  }
}
