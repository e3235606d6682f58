package dev.cohort.saga;

import dev.cohort.kv.Kv;
import dev.cohort.log.StreamLog;
import dev.cohort.saga.internal.SagasImpl;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Starts the saga service on a node: registers the {@code saga-instance}, {@code saga-definitions}
 * and {@code saga-index} entity types with Cluster Sharding, starts the waker that resumes active
 * instances after a restart, and returns the embedded API. Call it on every node, after {@code
 * KvService.start} and {@code StreamLogService.start}; calling it again on the same system returns
 * the same instance.
 */
public final class SagaService {
  // By identity: typed actor systems compare equal by path, and several systems of one name
  // (a cluster in one JVM, a node restarted in the same JVM) share a path.
  private static final Map<ActorSystem<?>, Sagas> RUNNING =
      Collections.synchronizedMap(new IdentityHashMap<>());

  private SagaService() {}

  public static Sagas start(ActorSystem<?> system, Kv kv, StreamLog log) {
    return start(system, kv, log, SagaSettings.create(system.settings().config()));
  }

  public static Sagas start(ActorSystem<?> system, Kv kv, StreamLog log, SagaSettings settings) {
    Sagas sagas = RUNNING.computeIfAbsent(system, s -> SagasImpl.start(s, kv, log, settings));
    system.getWhenTerminated().thenRun(() -> RUNNING.remove(system));
    return sagas;
  }
}
