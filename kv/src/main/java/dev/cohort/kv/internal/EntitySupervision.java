package dev.cohort.kv.internal;

import dev.cohort.kv.KvSettings;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.SupervisorStrategy;

/**
 * How kv's event-sourced entities (partition, lessor, keyspace registry, transaction coordinator)
 * restart after a failure: with the backoff of {@code cohort.kv.restart-backoff-*}, one setting for
 * all of them.
 */
final class EntitySupervision {
  private EntitySupervision() {}

  static BackoffSupervisorStrategy restartWithBackoff(KvSettings settings) {
    return SupervisorStrategy.restartWithBackoff(
        settings.restartBackoffMin(),
        settings.restartBackoffMax(),
        settings.restartBackoffRandomFactor());
  }
}
