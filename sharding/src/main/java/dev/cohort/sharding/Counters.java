package dev.cohort.sharding;

import dev.cohort.persistence.CohortException;
import dev.cohort.persistence.ErrorKind;
import dev.cohort.sharding.internal.CounterEntity;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * Durable named counters: the smallest sharded, event-sourced entity, which proves sharding, the
 * journal and recovery end to end (the process tests write through it). Each counter is one entity;
 * an increment is acknowledged only after its event is in the journal.
 */
public final class Counters {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  private final ClusterSharding sharding;
  private final ShardingSettings settings;

  private Counters(ActorSystem<?> system) {
    this.sharding = ClusterSharding.get(system);
    this.settings = ShardingSettings.create(system.settings().config());
  }

  /** Registers the counter entity type on this node and returns the API. */
  public static Counters start(ActorSystem<?> system) {
    CounterEntity.init(system);
    return new Counters(system);
  }

  /** Adds {@code delta} to the counter and returns its new value, once durable. */
  public CompletionStage<Long> increment(String name, long delta) {
    return ref(name)
        .<CounterEntity.Value>ask(
            replyTo -> new CounterEntity.Increment(delta, replyTo), settings.askTimeout())
        .thenApply(CounterEntity.Value::value);
  }

  /** The counter's current value (0 for a counter never incremented). */
  public CompletionStage<Long> get(String name) {
    return ref(name)
        .<CounterEntity.Value>ask(CounterEntity.Get::new, settings.askTimeout())
        .thenApply(CounterEntity.Value::value);
  }

  private EntityRef<CounterEntity.Command> ref(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new CohortException(
          ErrorKind.INVALID,
          "invalid_counter_name",
          "counter name must match [A-Za-z0-9._-]{1,128}, got '" + name + "'");
    }
    return sharding.entityRefFor(CounterEntity.ENTITY_TYPE_KEY, name);
  }
}
