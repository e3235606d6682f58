package dev.cohort.sharding.internal;

import dev.cohort.persistence.KryoRegistrations;

/** The sharding module's serializable types, ids 300–399. */
public final class ShardingRegistrations implements KryoRegistrations {
  @Override
  public void register(Registry registry) {
    registry.add(300, CounterEntity.Increment.class);
    registry.add(301, CounterEntity.Get.class);
    registry.add(302, CounterEntity.Value.class);
    registry.add(303, CounterEntity.Incremented.class);
    registry.add(304, CounterEntity.State.class);
  }
}
