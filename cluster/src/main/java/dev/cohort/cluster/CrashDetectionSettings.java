package dev.cohort.cluster;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Fast downing of members whose process is gone, read from {@code cohort.cluster.crash-detection}.
 *
 * @param enabled whether this node watches the other members' processes
 * @param connectTimeout how long one connect to a member's remoting port may take
 * @param retryInterval the wait after a connect that neither succeeded nor was refused, and how
 *     often the watches are matched to the membership
 */
public record CrashDetectionSettings(
    boolean enabled, Duration connectTimeout, Duration retryInterval) {

  public static CrashDetectionSettings create(Config config) {
    Config c = config.getConfig("cohort.cluster.crash-detection");
    return new CrashDetectionSettings(
        c.getBoolean("enabled"), c.getDuration("connect-timeout"), c.getDuration("retry-interval"));
  }
}
