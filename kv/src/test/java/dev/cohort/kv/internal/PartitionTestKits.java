package dev.cohort.kv.internal;

import com.typesafe.config.ConfigFactory;
import dev.cohort.kv.KvSettings;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;

/**
 * Partition entities under Pekko's event-sourced test kit, for tests that drive one partition
 * directly: every message is serialized (Kryo) as between nodes, and events and snapshots go to the
 * kit's in-memory journal, so a restart replays them.
 */
final class PartitionTestKits {
  private PartitionTestKits() {}

  /** An actor test kit whose messages are all serialized. */
  static ActorTestKit serializing() {
    return ActorTestKit.create(
        EventSourcedBehaviorTestKit.config()
            .withFallback(ConfigFactory.parseString("pekko.actor.serialize-messages = on"))
            .withFallback(ConfigFactory.load()));
  }

  /** Partition 0 of {@code partitions} of keyspace {@code keyspace} (incarnation 1). */
  static EventSourcedBehaviorTestKit<KvPartition.Command, KvPartition.Event, KvPartition.Stage>
      partition(ActorTestKit kit, KvSettings settings, String keyspace, int partitions) {
    return EventSourcedBehaviorTestKit.create(
        kit.system(),
        KvPartition.create(
            KvPartition.entityId(keyspace, 1, partitions, 0),
            settings,
            KvMetrics.get(kit.system())));
  }
}
