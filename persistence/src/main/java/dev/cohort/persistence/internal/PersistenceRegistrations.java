package dev.cohort.persistence.internal;

import dev.cohort.observability.TraceContext;
import dev.cohort.persistence.ErrorKind;
import dev.cohort.persistence.KryoRegistrations;
import dev.cohort.persistence.Rejection;

/** The persistence module's own serializable types and the observability carrier, ids 100–199. */
public final class PersistenceRegistrations implements KryoRegistrations {
  @Override
  public void register(Registry registry) {
    registry.add(100, Rejection.class);
    registry.add(101, ErrorKind.class);
    // The trace-context carrier of every module's messages (observability cannot register it:
    // it sits below persistence).
    registry.add(102, TraceContext.class);
  }
}
