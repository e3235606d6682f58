package dev.cohort.kv.ap;

import dev.cohort.kv.ap.internal.ApKeyspacesImpl;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Starts AP keyspaces on a node: its store under {@code <data-dir>/ap} (RocksDB, opened on first
 * use), the replica actor ({@code /system/kv-ap-replica}) that other coordinators write to and read
 * from, and the maintenance actor (hints, sweeps, repair, catalog exchange). Call it on every node,
 * after or while the node joins; calling it again on the same system returns the same instance.
 *
 * <p>Requires {@code pekko.actor.provider = cluster} and Cohort's Kryo serialization.
 */
public final class ApService {
  // By identity: typed systems compare equal by path, and several systems of one name (a cluster
  // in one JVM, as in tests) share the path "pekko://name/".
  private static final Map<ActorSystem<?>, ApKeyspaces> RUNNING =
      Collections.synchronizedMap(new IdentityHashMap<>());

  private ApService() {}

  public static ApKeyspaces start(ActorSystem<?> system) {
    return start(system, ApSettings.create(system.settings().config()));
  }

  public static ApKeyspaces start(ActorSystem<?> system, ApSettings settings) {
    ApKeyspaces ap = RUNNING.computeIfAbsent(system, s -> ApKeyspacesImpl.start(s, settings));
    system.getWhenTerminated().thenRun(() -> RUNNING.remove(system));
    return ap;
  }
}
