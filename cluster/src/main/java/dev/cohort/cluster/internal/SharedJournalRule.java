package dev.cohort.cluster.internal;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The rule that keeps a cluster from losing data silently: every member of a cluster of more than
 * one node must keep its events in the same shared journal. An entity moves between nodes on
 * rebalance, failover and rolling restarts, and recovers on the new node from the journal; with a
 * node-local journal ({@code file}, or {@code h2} in the node's data directory) the new node finds
 * nothing and the entity restarts empty.
 *
 * <p>Owns the reading of the journal keys from a (possibly partial) configuration, as a joining
 * node sends it in Pekko's join handshake. Keeps: a configuration that cannot be judged (keys
 * missing) is refused, not allowed.
 */
public final class SharedJournalRule {
  /** Opt-out for several nodes in one JVM that share one embedded journal (tests). */
  public static final String ALLOW_LOCAL = "cohort.node.allow-local-journal-in-cluster";

  static final String PLUGIN = "pekko.persistence.journal.plugin";
  static final String JOURNAL = "cohort.persistence.journal";
  static final String POSTGRES_URL = "cohort.persistence.postgresql.url";
  static final List<String> KEYS = List.of(PLUGIN, JOURNAL, POSTGRES_URL, ALLOW_LOCAL);

  /** What to do about it, named in every refusal. */
  public static final String REMEDY =
      "A cluster of more than one node needs a shared journal: set cohort.persistence.journal ="
          + " \"postgresql\" on every node, with the same cohort.persistence.postgresql.url (start"
          + " from conf/cluster-node.conf). With a node-local journal (\"file\" or \"h2\") an"
          + " entity that moves to another node finds none of its events there, and its data is"
          + " lost silently.";

  private SharedJournalRule() {}

  /** The journal as a configuration describes it. */
  record Placement(String plugin, String journal, String postgresUrl, boolean allowLocal) {
    /**
     * Whether events stay on this node: Cohort's file journal, or the JDBC plugin on the embedded
     * H2. Any other plugin (for example Pekko's persistence test kit) is the embedding
     * application's choice.
     */
    boolean nodeLocal() {
      return plugin.equals("cohort-file-journal")
          || (plugin.equals("jdbc-journal")
              && !journal.equals("postgresql")
              && !journal.equals("postgres"));
    }

    String describe() {
      return nodeLocal()
          ? "the node-local \"" + journal + "\" journal"
          : plugin.equals("jdbc-journal")
              ? "PostgreSQL at " + postgresUrl
              : "journal plugin " + plugin;
    }

    static Placement of(Config config) {
      for (String key : KEYS) {
        if (!config.hasPath(key)) {
          return null;
        }
      }
      return new Placement(
          config.getString(PLUGIN),
          config.getString(JOURNAL).toLowerCase(java.util.Locale.ROOT),
          config.getString(POSTGRES_URL),
          config.getBoolean(ALLOW_LOCAL));
    }
  }

  /**
   * Why two nodes must not form one cluster; empty when they may.
   *
   * @param other the other node's configuration (at least {@link #KEYS})
   * @param self this node's configuration
   */
  public static List<String> problems(Config other, Config self) {
    Placement theirs = Placement.of(other);
    Placement ours = Placement.of(self);
    List<String> problems = new ArrayList<>();
    if (theirs == null || ours == null) {
      problems.add("a node did not say where it keeps its journal (" + KEYS + "). " + REMEDY);
      return problems;
    }
    if (theirs.allowLocal() && ours.allowLocal()) {
      return problems;
    }
    if (ours.nodeLocal() || theirs.nodeLocal()) {
      problems.add(
          "this node keeps its events in "
              + ours.describe()
              + " and the other node in "
              + theirs.describe()
              + ". "
              + REMEDY);
    } else if (!Objects.equals(ours.plugin(), theirs.plugin())
        || (ours.plugin().equals("jdbc-journal")
            && !ours.postgresUrl().equals(theirs.postgresUrl()))) {
      problems.add(
          "the nodes use different journals: "
              + ours.describe()
              + " here, "
              + theirs.describe()
              + " there. "
              + REMEDY);
    }
    return problems;
  }

  /**
   * Refuses, before anything starts, a node that keeps a node-local journal and names seed nodes
   * other than itself: it would join a cluster whose entities it cannot recover.
   *
   * @param self this node's complete configuration
   * @param selfAddress this node's {@code host:port}
   * @param seeds the seed nodes as {@code host:port}
   * @throws IllegalArgumentException naming {@code cohort.persistence.journal} and the remedy
   */
  public static void refuseLocalJournalWithOtherSeeds(
      Config self, String selfAddress, List<String> seeds) {
    Placement ours = Placement.of(self);
    if (ours == null || ours.allowLocal() || !ours.nodeLocal()) {
      return;
    }
    List<String> others = seeds.stream().filter(seed -> !seed.equals(selfAddress)).toList();
    if (!others.isEmpty()) {
      throw new IllegalArgumentException(
          "cohort.persistence.journal is \""
              + ours.journal()
              + "\" (node-local) but cohort.node.seeds names other nodes "
              + others
              + ". "
              + REMEDY);
    }
  }
}
