package dev.cohort.bench.chaos;

import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A Jepsen-style workload: HTTP clients on every node's gateway that record a history while the
 * runner injects faults, and the checkers that judge that history once the cluster healed.
 *
 * <p>The runner calls {@link #setUp}, then {@link #run} (which blocks until {@code stop} is true),
 * heals the cluster, then calls {@link #check}. {@link #history()} may be read after {@code run}. A
 * workload instance is used for one run.
 */
public interface ChaosWorkload {
  /**
   * {@code kv-register}, {@code unique-put}, {@code stream-log}, {@code locks}, {@code sagas},
   * {@code ap}.
   */
  String name();

  /** Creates keyspaces, topics, definitions; retries until the cluster answers (deadline 120 s). */
  void setUp(Gateways gateways) throws Exception;

  /**
   * Runs {@code clients} client threads against random gateways until {@code stop} returns true,
   * recording every operation; returns once every client thread ended.
   */
  void run(Gateways gateways, BooleanSupplier stop, int clients) throws Exception;

  /** Called after the cluster healed: final reads, then the checkers. */
  CheckResult check(Gateways gateways) throws Exception;

  /** The recorded history so far (a snapshot). */
  List<Op> history();
}
