package dev.cohort.bench.fuzz;

/**
 * One generated request: the route it aims at, what makes it bad ({@code kind}), and the exact
 * bytes to send. {@code index} and the run's seed regenerate it.
 *
 * @param dribbleBytes positive: the body goes out this many bytes at a time, {@code pauseMs} apart
 * @param mutating the method may change state (anything but GET and HEAD): a 2xx answer to it means
 *     an input the fuzzer made invalid was accepted
 */
record FuzzInput(
    long index,
    String route,
    String kind,
    String method,
    byte[] head,
    byte[] body,
    int dribbleBytes,
    long pauseMs,
    boolean mutating) {

  /** The request line and a preview of the body, non-printable bytes escaped, for a report. */
  String describe() {
    String head = printable(this.head, 300);
    int lineEnd = head.indexOf("\\r\\n");
    String line = lineEnd < 0 ? head : head.substring(0, lineEnd);
    return "#"
        + index
        + " "
        + kind
        + " ["
        + route
        + "] "
        + line
        + " body("
        + body.length
        + "B)="
        + printable(body, 160)
        + (dribbleBytes > 0 ? " dribbled " + dribbleBytes + "B/" + pauseMs + "ms" : "");
  }

  private static String printable(byte[] bytes, int max) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < Math.min(bytes.length, max); i++) {
      int b = bytes[i] & 0xff;
      if (b >= 0x20 && b < 0x7f) {
        out.append((char) b);
      } else if (b == '\r') {
        out.append("\\r");
      } else if (b == '\n') {
        out.append("\\n");
      } else {
        out.append(String.format("\\x%02x", b));
      }
    }
    if (bytes.length > max) {
      out.append("…");
    }
    return out.toString();
  }
}
