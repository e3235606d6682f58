package dev.cohort.kv;

import dev.cohort.kv.internal.KvServiceImpl;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Starts the kv service on a node. {@link #start} registers the entity types with Cluster Sharding
 * ({@code kv-keyspaces}, {@code kv-partition}, {@code kv-lessor}), starts the node's write batcher
 * and lease clock, and returns the embedded API. Call it on every node of the cluster, after the
 * node joined (or while it joins); calling it again on the same system returns the same instance.
 *
 * <p>Requires the Cohort persistence configuration (journal, snapshot store, Kryo serialization)
 * and {@code pekko.actor.provider = cluster}.
 */
public final class KvService {
  // By identity: typed actor systems compare equal by path, and several systems of one name
  // (a cluster in one JVM, a node restarted in the same JVM) share a path.
  private static final Map<ActorSystem<?>, Kv> RUNNING =
      Collections.synchronizedMap(new IdentityHashMap<>());

  private KvService() {}

  public static Kv start(ActorSystem<?> system) {
    return start(system, KvSettings.create(system.settings().config()));
  }

  public static Kv start(ActorSystem<?> system, KvSettings settings) {
    Kv kv = RUNNING.computeIfAbsent(system, s -> KvServiceImpl.start(s, settings));
    system.getWhenTerminated().thenRun(() -> RUNNING.remove(system));
    return kv;
  }
}
