package dev.cohort.training.collective;

import dev.cohort.persistence.KryoRegistrations;

/** Kryo ids of test-only messages (the tests' range, 9000–9999). */
public final class TrainingTestRegistrations implements KryoRegistrations {
  @Override
  public void register(Registry r) {
    r.add(9400, ActorRendezvousTest.Register.class);
  }
}
