package dev.cohort.training.internal;

import dev.cohort.persistence.KryoRegistrations;
import dev.cohort.training.MlpSpec;
import dev.cohort.training.collective.Backend;
import dev.cohort.training.collective.NcclRendezvous;
import dev.cohort.training.collective.ReduceOp;
import dev.cohort.training.collective.RingRendezvous;

/**
 * Kryo ids of the training module, range 4000–4999. Ids are part of the wire and journal format:
 * never reuse or renumber one; add new classes with the next free id.
 */
public final class TrainingRegistrations implements KryoRegistrations {
  @Override
  public void register(Registry r) {
    r.add(4000, Backend.class);
    r.add(4001, ReduceOp.class);
    r.add(4002, RingRendezvous.class);
    r.add(4003, NcclRendezvous.class);
    r.add(4004, MlpSpec.class);
  }
}
