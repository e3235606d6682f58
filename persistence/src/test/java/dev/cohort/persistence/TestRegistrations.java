package dev.cohort.persistence;

public final class TestRegistrations implements KryoRegistrations {
  @Override
  public void register(Registry registry) {
    registry.add(9000, TestTypes.Put.class);
    registry.add(9001, TestTypes.SampleEvent.class);
    registry.add(9002, TestTypes.Stop.class);
    registry.add(9003, TestTypes.Everything.class);
    registry.add(9004, TestTypes.Nested.class);
    registry.add(9005, TestTypes.TracedPut.class);
  }
}
