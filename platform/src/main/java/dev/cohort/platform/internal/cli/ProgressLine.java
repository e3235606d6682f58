package dev.cohort.platform.internal.cli;

import java.io.PrintStream;

/**
 * A status line on stderr that rewrites itself on a terminal ({@code \r}, padded over the previous
 * text) and, when stderr is not a terminal, either prints each new status on a line of its own or
 * stays silent, as the command chooses: piped output never carries carriage returns or escape
 * sequences. Not thread-safe: one command drives it.
 */
final class ProgressLine {
  private final PrintStream err;
  private final boolean terminal;
  private final boolean linesWhenPiped;
  private String last = "";

  private ProgressLine(PrintStream err, boolean terminal, boolean linesWhenPiped) {
    this.err = err;
    this.terminal = terminal;
    this.linesWhenPiped = linesWhenPiped;
  }

  /**
   * A line on {@code System.err}, live when the process runs on a terminal (JDK's {@code
   * Console.isTerminal()}: stdin and stdout are both a tty).
   */
  static ProgressLine onStderr(boolean linesWhenPiped) {
    java.io.Console console = System.console();
    return new ProgressLine(System.err, console != null && console.isTerminal(), linesWhenPiped);
  }

  boolean terminal() {
    return terminal;
  }

  /** Shows {@code status} in place of the previous one; an unchanged status prints nothing. */
  void update(String status) {
    if (status.equals(last)) {
      return;
    }
    if (terminal) {
      err.print("\r" + status + " ".repeat(Math.max(0, last.length() - status.length())));
      err.flush();
    } else if (linesWhenPiped) {
      err.println(status);
    }
    last = status;
  }

  /** Ends the live line with {@code summary} (shown only when live or listed). */
  void finish(String summary) {
    update(summary);
    end();
  }

  /** Moves past the live line, so that what follows starts on a line of its own. */
  void end() {
    if (terminal && !last.isEmpty()) {
      err.println();
      last = "";
    }
  }
}
