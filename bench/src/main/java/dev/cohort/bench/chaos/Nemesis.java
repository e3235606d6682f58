package dev.cohort.bench.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;

/**
 * The faults the harness injects into a running {@link ChaosCluster}. Each {@link #inject} returns
 * once the fault is over (healed), leaving nodes that exited for the runner to restart, with the
 * moments each fault began (for the unavailability figures) and what the cluster did.
 */
public enum Nemesis {
  /** SIGKILL a node, keep it dead long enough that the survivors must fail over, restart it. */
  KILL("kill") {
    @Override
    Fault inject(ChaosCluster cluster, Random random) throws Exception {
      ChaosNode victim = pick(cluster, random);
      victim.kill();
      long start = System.nanoTime();
      hold(HOLD);
      cluster.startNode(victim);
      return new Fault(List.of(start), List.of(victim.name() + " killed"), List.of(), List.of());
    }
  },
  /** SIGSTOP a node for longer than detection plus stable-after, then SIGCONT. */
  PAUSE("pause") {
    @Override
    Fault inject(ChaosCluster cluster, Random random) throws Exception {
      ChaosNode victim = pick(cluster, random);
      victim.pause();
      long start = System.nanoTime();
      hold(HOLD);
      victim.resume();
      Integer exit = victim.awaitExit(DOWNED_EXIT);
      return new Fault(
          List.of(start),
          List.of(victim.name() + " paused, exit " + exit),
          List.of(victim.name() + ":" + exit),
          List.of());
    }
  },
  /**
   * Splits the cluster: a minority of (n-1)/2 nodes (one of three, two of five) loses every
   * connection to the majority, while clients still reach every node. Healed after the hold; the
   * split-brain resolver should have downed the minority, which exits with status 1.
   */
  PARTITION("partition") {
    @Override
    Fault inject(ChaosCluster cluster, Random random) throws Exception {
      List<ChaosNode> shuffled = new ArrayList<>(cluster.nodes());
      Collections.shuffle(shuffled, random);
      int minoritySize = (shuffled.size() - 1) / 2;
      List<ChaosNode> minority = shuffled.subList(0, minoritySize);
      List<ChaosNode> majority = shuffled.subList(minoritySize, shuffled.size());
      cluster.firewall().partition(minority, majority);
      long start = System.nanoTime();
      try {
        hold(HOLD);
      } finally {
        cluster.firewall().heal();
      }
      List<String> minorityExits = new ArrayList<>();
      for (ChaosNode node : minority) {
        minorityExits.add(node.name() + ":" + node.awaitExit(DOWNED_EXIT));
      }
      List<String> majorityExits = new ArrayList<>();
      for (ChaosNode node : majority) {
        majorityExits.add(node.name() + ":" + node.exitStatus());
      }
      return new Fault(
          List.of(start),
          List.of("minority " + names(minority) + " cut off from " + names(majority)),
          minorityExits,
          majorityExits);
    }
  },
  /** Stops PostgreSQL, the shared journal, for 10 s, then starts it again. */
  JOURNAL_OUTAGE("journal-outage") {
    @Override
    Fault inject(ChaosCluster cluster, Random random) throws Exception {
      cluster.postgres().control("stop");
      long start = System.nanoTime();
      try {
        hold(HOLD);
      } finally {
        cluster.postgres().control("start");
      }
      return new Fault(
          List.of(start),
          List.of("PostgreSQL stopped for " + HOLD.toSeconds() + " s"),
          List.of(),
          List.of());
    }
  },
  /** SIGTERM each node in turn (graceful leave and handoff), restart it, wait until it is back. */
  ROLLING_RESTART("rolling-restart") {
    @Override
    Fault inject(ChaosCluster cluster, Random random) throws Exception {
      List<Long> starts = new ArrayList<>();
      List<String> exits = new ArrayList<>();
      for (ChaosNode node : cluster.nodes()) {
        starts.add(System.nanoTime());
        exits.add(node.name() + ":" + node.terminate(Duration.ofSeconds(60)));
        cluster.startNode(node);
        cluster.awaitHealthy(ChaosCluster.START);
      }
      return new Fault(starts, List.of("rolling restart, exits " + exits), exits, List.of());
    }
  };

  /** How long a fault lasts: past failure detection, stable-after and the removal margin. */
  static final Duration HOLD = Duration.ofSeconds(10);

  /** How long a downed node may take to notice and exit after it can talk again. */
  static final Duration DOWNED_EXIT = Duration.ofSeconds(30);

  private final String label;

  Nemesis(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  public static Nemesis of(String label) {
    for (Nemesis nemesis : values()) {
      if (nemesis.label.equals(label)) {
        return nemesis;
      }
    }
    throw new IllegalArgumentException(
        "unknown nemesis '"
            + label
            + "'; known: kill, pause, partition,"
            + " journal-outage, rolling-restart");
  }

  abstract Fault inject(ChaosCluster cluster, Random random) throws Exception;

  /**
   * What one fault did.
   *
   * @param starts when each fault began (System.nanoTime)
   * @param notes what was done, for the log
   * @param faultedExits exit statuses of the nodes the fault hit, as {@code name:status} ({@code
   *     null}: still running)
   * @param survivorExits the same for the nodes it did not hit (partition: the majority)
   */
  public record Fault(
      List<Long> starts,
      List<String> notes,
      List<String> faultedExits,
      List<String> survivorExits) {}

  private static ChaosNode pick(ChaosCluster cluster, Random random) {
    List<ChaosNode> nodes = cluster.nodes();
    return nodes.get(random.nextInt(nodes.size()));
  }

  private static String names(List<ChaosNode> nodes) {
    return nodes.stream().map(ChaosNode::name).toList().toString();
  }

  /** The fault's scheduled length: the nemesis keeps it in place this long by design. */
  private static void hold(Duration duration) {
    LockSupport.parkNanos(duration.toNanos());
  }
}
