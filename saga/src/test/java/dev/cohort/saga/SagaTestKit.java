package dev.cohort.saga;

import static dev.cohort.testkit.Await.await;
import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.kv.Kv;
import dev.cohort.kv.KvService;
import dev.cohort.log.StreamLog;
import dev.cohort.log.StreamLogService;
import dev.cohort.testkit.TestClusters;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;

/** A one-node cluster on the in-memory journal with kv, stream log and sagas started. */
final class SagaTestKit implements AutoCloseable {
  final ActorTestKit kit;
  final Kv kv;
  final StreamLog log;
  final Sagas sagas;

  private SagaTestKit(ActorTestKit kit) {
    this.kit = kit;
    this.kv = KvService.start(kit.system());
    this.log = StreamLogService.start(kit.system());
    this.sagas = SagaService.start(kit.system(), kv, log);
  }

  static Config config(String extra) {
    return TestClusters.inMemoryJournal(
            TestClusters.node(
                """
                pekko.cluster.sharding.passivation.strategy = none
                cohort.kv.ask-timeout = 5s
                cohort.saga.ask-timeout = 5s
                cohort.saga.wake-interval = 500ms
                """
                    + extra))
        .withFallback(ConfigFactory.parseResources("cohort-pekko.conf"))
        .withFallback(ConfigFactory.load());
  }

  static SagaTestKit start(String name) {
    return start(name, "");
  }

  static SagaTestKit start(String name, String extra) {
    return new SagaTestKit(
        TestClusters.join(ActorTestKit.create(name, config(extra)), null, Duration.ofSeconds(20)));
  }

  /** Polls the instance until {@code condition} holds; fails after {@code deadline}. */
  SagaInstance awaitInstance(String id, Duration deadline, Predicate<SagaInstance> condition) {
    AtomicReference<SagaInstance> last = new AtomicReference<>();
    try {
      await(
          deadline,
          () -> {
            last.set(join(sagas.get(id)));
            return condition.test(last.get());
          });
    } catch (AssertionError e) {
      return fail(
          "instance "
              + id
              + " did not reach the condition within "
              + deadline
              + "; last seen: "
              + last.get());
    }
    return last.get();
  }

  SagaInstance awaitState(String id, SagaState state) {
    return awaitInstance(id, Duration.ofSeconds(20), i -> i.state() == state);
  }

  @Override
  public void close() {
    kit.shutdownTestKit();
  }
}
