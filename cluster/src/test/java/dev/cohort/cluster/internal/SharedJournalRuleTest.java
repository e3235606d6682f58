package dev.cohort.cluster.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.cohort.cluster.NodeConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class SharedJournalRuleTest {
  private static Config node(String settings) {
    return NodeConfig.assemble(ConfigFactory.parseString(settings));
  }

  private static final String POSTGRES =
      "cohort.persistence.journal = postgresql\n"
          + "cohort.persistence.postgresql.url = \"jdbc:postgresql://db:5432/cohort\"\n";

  @Test
  void twoNodesOnTheSamePostgresqlJournalMayFormACluster() {
    assertEquals(List.of(), SharedJournalRule.problems(node(POSTGRES), node(POSTGRES)));
  }

  @Test
  void aNodeLocalJournalOnEitherSideIsRefusedNamingTheKeyAndTheRemedy() {
    for (String local : List.of("file", "h2")) {
      Config localNode = node("cohort.persistence.journal = " + local);
      for (List<Config> pair :
          List.of(
              List.of(localNode, node(POSTGRES)),
              List.of(node(POSTGRES), localNode),
              List.of(localNode, localNode))) {
        List<String> problems = SharedJournalRule.problems(pair.get(0), pair.get(1));
        assertEquals(1, problems.size(), local + ": " + problems);
        String message = problems.get(0);
        assertTrue(message.contains("\"" + local + "\""), message);
        assertTrue(message.contains("cohort.persistence.journal"), message);
        assertTrue(message.contains("conf/cluster-node.conf"), message);
        assertTrue(message.contains("postgresql"), message);
      }
    }
  }

  @Test
  void differentPostgresqlDatabasesAreRefused() {
    Config other =
        node(
            "cohort.persistence.journal = postgresql\n"
                + "cohort.persistence.postgresql.url = \"jdbc:postgresql://other:5432/cohort\"");
    List<String> problems = SharedJournalRule.problems(other, node(POSTGRES));
    assertEquals(1, problems.size());
    assertTrue(problems.get(0).contains("jdbc:postgresql://other:5432/cohort"), problems.get(0));
  }

  @Test
  void aConfigurationThatDoesNotSayWhereItsJournalIsIsRefused() {
    Config partial = ConfigFactory.parseString("cohort.persistence.journal = postgresql");
    assertEquals(1, SharedJournalRule.problems(partial, node(POSTGRES)).size());
  }

  @Test
  void onlyBothSidesTogetherCanAllowASharedEmbeddedJournal() {
    Config allowed =
        node("cohort.persistence.journal = h2\ncohort.node.allow-local-journal-in-cluster = on");
    Config notAllowed = node("cohort.persistence.journal = h2");
    assertEquals(List.of(), SharedJournalRule.problems(allowed, allowed));
    assertEquals(1, SharedJournalRule.problems(allowed, notAllowed).size());
  }

  @Test
  void aNodeLocalJournalWithAnotherSeedRefusesToStartButItselfAsSeedIsFine() {
    IllegalArgumentException refused =
        assertThrows(
            IllegalArgumentException.class,
            () -> node("cohort.node { remote-port = 2553, seeds = [\"127.0.0.1:2552\"] }"));
    assertTrue(
        refused.getMessage().startsWith("cohort.persistence.journal is \"file\""),
        refused.getMessage());
    assertTrue(refused.getMessage().contains("[127.0.0.1:2552]"), refused.getMessage());
    assertEquals(
        List.of("pekko://cohort@127.0.0.1:2552"),
        node("cohort.node { remote-port = 2552, seeds = [\"127.0.0.1:2552\"] }")
            .getStringList("pekko.cluster.seed-nodes"));
    assertEquals(
        2,
        node(POSTGRES + "cohort.node.seeds = [\"10.0.0.1:2552\", \"10.0.0.2:2552\"]")
            .getStringList("pekko.cluster.seed-nodes")
            .size());
  }

  @Test
  void theJoinCheckIsRegisteredWithPekko() {
    assertEquals(
        SharedJournalJoinCheck.class.getName(),
        node("")
            .getString(
                "pekko.cluster.configuration-compatibility-check.checkers.cohort-shared-journal"));
  }
}
