package dev.cohort.log.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.log.LogException;
import dev.cohort.testkit.TestClusters;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;

/**
 * A one-node cluster with Cohort's Pekko settings (Java serialization off), the in-memory journal
 * and snapshot store, every message serialized, and stream-log settings tightened so that tests run
 * fast. Helpers await with deadlines, never sleep.
 */
public final class LogTestKit {
  private LogTestKit() {}

  public static Config config(String overrides) {
    return ConfigFactory.parseString(overrides)
        .withFallback(
            TestClusters.inMemoryJournal(
                TestClusters.node(
                    """
                pekko.coordinated-shutdown.terminate-actor-system = on
                cohort.log.metadata-max-age = 200ms
                cohort.log.group.check-interval = 100ms
                cohort.log.group.min-session-timeout = 100ms
                cohort.log.partition.retention-check-interval = 1h
                cohort.log.partition.snapshot-every = 4
                cohort.log.consumer.heartbeat.interval.ms = 100
                cohort.log.consumer.session.timeout.ms = 3000
                cohort.log.consumer.fetch.max.wait.ms = 200
                """)))
        .withFallback(dev.cohort.cluster.NodeConfig.pekkoDefaults());
  }

  /** An actor test kit whose system has joined itself as a one-node cluster. */
  public static ActorTestKit cluster(String overrides) {
    return TestClusters.join(ActorTestKit.create(config(overrides)), null, Duration.ofSeconds(20));
  }

  public static <T> T get(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new RuntimeException(e.getCause());
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  /** The {@link LogException} the stage fails with; fails the test if it succeeds. */
  public static LogException failure(CompletionStage<?> stage) {
    try {
      Object value = stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
      fail("expected a failure, got " + value);
      return null;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      while (cause instanceof java.util.concurrent.CompletionException
          && cause.getCause() != null) {
        cause = cause.getCause();
      }
      return assertInstanceOf(LogException.class, cause, () -> "cause: " + e.getCause());
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  public static void assertCode(String code, CompletionStage<?> stage) {
    assertEquals(code, failure(stage).code());
  }
}
