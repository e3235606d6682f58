package dev.cohort.cluster.internal;

import java.util.List;
import org.apache.pekko.cluster.ConfigValidation;
import org.apache.pekko.cluster.Invalid;
import org.apache.pekko.cluster.JoinConfigCompatChecker;
import org.apache.pekko.cluster.Valid$;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Pekko's join handshake runs this on both sides (the member that answers the join checks the
 * joining node's keys, the joining node checks the cluster's): a node is refused when {@link
 * SharedJournalRule} says the two would not share a journal, and the refused node shuts down
 * instead of joining. Registered under {@code
 * pekko.cluster.configuration-compatibility-check.checkers} in {@code cohort-pekko.conf}.
 */
public final class SharedJournalJoinCheck extends JoinConfigCompatChecker {

  @Override
  public Seq<String> requiredKeys() {
    return CollectionConverters.asScala(SharedJournalRule.KEYS).toList();
  }

  @Override
  public ConfigValidation check(
      com.typesafe.config.Config toCheck, com.typesafe.config.Config actual) {
    List<String> problems = SharedJournalRule.problems(toCheck, actual);
    if (problems.isEmpty()) {
      return Valid$.MODULE$;
    }
    org.slf4j.LoggerFactory.getLogger(SharedJournalJoinCheck.class)
        .error("refusing to form a cluster with a node: {}", String.join(" ", problems));
    return new Invalid(CollectionConverters.asScala(problems).toList());
  }
}
