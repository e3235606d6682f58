package dev.cohort.bench.chaos;

/** Builds history entries for checker tests; times are in abstract ticks (nanos). */
final class Ops {
  static final long NEVER = Long.MAX_VALUE;

  private Ops() {}

  static Op read(int client, String key, String observed, long invoke, long complete) {
    return new Op(client, key, "read", null, null, observed, invoke, complete, Outcome.OK);
  }

  static Op write(int client, String key, String value, long invoke, long complete) {
    return new Op(client, key, "write", value, null, null, invoke, complete, Outcome.OK);
  }

  static Op writeUnknown(int client, String key, String value, long invoke) {
    return new Op(
        client, key, "write", value, null, "timeout", invoke, NEVER, Outcome.INDETERMINATE);
  }

  static Op writeFailed(int client, String key, String value, long invoke, long complete) {
    return new Op(
        client, key, "write", value, null, "409 key_locked", invoke, complete, Outcome.FAIL);
  }

  static Op cas(
      int client,
      String key,
      String expected,
      String value,
      boolean succeeded,
      long invoke,
      long complete) {
    return new Op(
        client,
        key,
        "cas",
        value,
        expected,
        Boolean.toString(succeeded),
        invoke,
        complete,
        Outcome.OK);
  }

  static Op casUnknown(int client, String key, String expected, String value, long invoke) {
    return new Op(
        client, key, "cas", value, expected, "timeout", invoke, NEVER, Outcome.INDETERMINATE);
  }

  static Op op(
      int client,
      String key,
      String f,
      String value,
      String expected,
      long invoke,
      long complete,
      Outcome outcome) {
    return new Op(
        client,
        key,
        f,
        value,
        expected,
        null,
        invoke,
        outcome == Outcome.INDETERMINATE ? NEVER : complete,
        outcome);
  }
}
