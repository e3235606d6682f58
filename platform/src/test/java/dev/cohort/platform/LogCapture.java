package dev.cohort.platform;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Everything this JVM logs while it is open, at INFO and above (Cohort's own loggers at DEBUG), as
 * the lines a log file would hold, stack traces included: for tests that search the logs for what
 * must never be there. {@link #close()} restores the levels.
 */
final class LogCapture implements AutoCloseable {
  private final Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
  private final Logger cohort = (Logger) LoggerFactory.getLogger("dev.cohort");
  private final Level rootLevel = root.getLevel();
  private final Level cohortLevel = cohort.getLevel();
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  LogCapture() {
    appender.start();
    root.addAppender(appender);
    root.setLevel(Level.INFO);
    cohort.setLevel(Level.DEBUG);
  }

  /** Every captured event as text: logger, formatted message, and stack trace if any. */
  List<String> lines() {
    return List.copyOf(appender.list).stream()
        .map(
            e ->
                e.getLoggerName()
                    + " "
                    + e.getFormattedMessage()
                    + (e.getThrowableProxy() == null
                        ? ""
                        : "\n" + ThrowableProxyUtil.asString(e.getThrowableProxy())))
        .toList();
  }

  /** The formatted messages of {@code logger}. */
  List<String> messages(String logger) {
    return List.copyOf(appender.list).stream()
        .filter(e -> e.getLoggerName().equals(logger))
        .map(ILoggingEvent::getFormattedMessage)
        .toList();
  }

  @Override
  public void close() {
    root.detachAppender(appender);
    root.setLevel(rootLevel);
    cohort.setLevel(cohortLevel);
  }
}
