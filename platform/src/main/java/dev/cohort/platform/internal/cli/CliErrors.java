package dev.cohort.platform.internal.cli;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * The CLI's exit statuses, declared once: {@link #OK} 0 when the command did what was asked, {@link
 * #FAILED} 1 when the node failed or refused it (a server error, a conflict, an unreachable node),
 * {@link #USAGE} 2 for bad usage (picocli's own status for unknown options and missing arguments,
 * and the gateway's answers that the request itself was invalid), {@link #NOT_FOUND} 3 when what
 * was named does not exist. Prints the failure as {@code error: <code>: <message>} on stderr.
 */
public final class CliErrors implements IExecutionExceptionHandler {
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = CommandLine.ExitCode.USAGE;
  public static final int NOT_FOUND = 3;

  /** The exit status for a gateway answer with HTTP status {@code status} (400 or more). */
  static int forStatus(int status) {
    return switch (status) {
      case 404 -> NOT_FOUND;
      case 400, 405, 413, 414, 415, 422, 431 -> USAGE;
      default -> FAILED;
    };
  }

  @Override
  public int handleExecutionException(Exception error, CommandLine command, ParseResult parsed) {
    command.getErr().println("error: " + error.getMessage());
    return error instanceof ClientCommand.CliException e ? e.exitCode() : FAILED;
  }
}
