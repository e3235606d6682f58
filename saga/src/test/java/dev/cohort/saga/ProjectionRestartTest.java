package dev.cohort.saga;

import static dev.cohort.testkit.Await.await;
import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.kv.Kv;
import dev.cohort.kv.KvService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once across a restart: a node on the H2 journal is shut down gracefully ({@code
 * shutdownTestKit}) while its projections are in the middle of the topic, with nothing committed
 * (the checkpoint interval is an hour), so the node that starts on the same data replays every
 * record that was already applied. Counts and sums must still equal the produced records exactly: a
 * replayed record must change nothing. No process dies here; {@code ProjectionProcessKillTest} in
 * the platform module SIGKILLs a node process mid-stream.
 */
@Tag("integration")
class ProjectionRestartTest {
  private static final Duration DEADLINE = Duration.ofSeconds(40);

  @TempDir Path data;

  private Config config() {
    return ConfigFactory.parseString(
            """
        cohort.saga.projection.checkpoint-interval = 1h
        cohort.saga.projection.fetch-max-wait = 200ms
        cohort.saga.projection.max-poll-records = 7
        cohort.saga.ask-timeout = 15s
        cohort.log.ask-timeout = 15s
        cohort.kv.ask-timeout = 15s
        """)
        .withFallback(H2Nodes.config(data));
  }

  @Test
  void replayedRecordsChangeNothing() {
    ActorTestKit first = H2Nodes.node(config());
    Sagas sagas = H2Nodes.sagas(first);
    Kv kv = KvService.start(first.system());
    dev.cohort.log.StreamLog log = dev.cohort.log.StreamLogService.start(first.system());
    // the first requests to a fresh H2 journal on a loaded machine can outlast the ask timeout
    await(
        DEADLINE,
        () -> {
          try {
            join(log.createTopic("orders", 3, Map.of()));
            return true;
          } catch (dev.cohort.log.LogException e) {
            return e.is(dev.cohort.log.LogError.TOPIC_ALREADY_EXISTS);
          }
        });
    Projecting.produce(log, "orders", 0, 600);
    join(
        sagas
            .projections()
            .createJson(
                "count",
                """
        {"source":{"topic":"orders"},"sink":{"keyspace":"count-view"},"mode":"count",
         "keyFrom":"field:user_id"}"""));
    join(
        sagas
            .projections()
            .createJson(
                "sum",
                """
        {"source":{"topic":"orders"},"sink":{"keyspace":"sum-view"},"mode":"sum",
         "field":"amount","keyFrom":"field:user_id"}"""));
    // stop mid-stream: some records applied, not all
    await(DEADLINE, () -> applied(kv, "count-view") >= 60);
    long appliedBefore = applied(kv, "count-view");
    ProjectionStatus status = join(sagas.projections().get("count"));
    assertTrue(
        status.partitions().stream().allMatch(p -> p.committedOffset() == 0),
        "nothing may be committed before the stop: " + status);
    first.shutdownTestKit();
    assertTrue(appliedBefore < 600, "the stop must come before the end: " + appliedBefore);

    ActorTestKit second = H2Nodes.node(config());
    try {
      Sagas again = H2Nodes.sagas(second);
      Kv kv2 = KvService.start(second.system());
      Projecting.produce(
          dev.cohort.log.StreamLogService.start(second.system()), "orders", 600, 700);
      await(
          DEADLINE, () -> Projecting.view(kv2, "count-view").equals(Projecting.countsByUser(700)));
      await(DEADLINE, () -> Projecting.view(kv2, "sum-view").equals(Projecting.sumsByUser(700)));
      await(
          DEADLINE,
          () ->
              join(again.projections().get("sum")).lag() == 0
                  && join(again.projections().get("count")).lag() == 0);
      assertEquals(Projecting.countsByUser(700), Projecting.view(kv2, "count-view"));
      assertEquals(Projecting.sumsByUser(700), Projecting.view(kv2, "sum-view"));
    } finally {
      second.shutdownTestKit();
    }
  }

  private static long applied(Kv kv, String keyspace) {
    return Projecting.view(kv, keyspace).values().stream().mapToLong(Long::parseLong).sum();
  }
}
