package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The client subcommands of {@code ./cohort} against a real node process. */
@Tag("fault")
class CliTest {

  @Test
  void kvTopicProduceConsumeAndGroupsCommandsTalkToTheGateway() throws Exception {
    try (NodeProcess node =
        NodeProcess.start(
            Files.createTempDirectory("cohort-cli"),
            NodeProcess.freePort(),
            NodeProcess.freePort())) {
      node.awaitReady(Duration.ofSeconds(60));
      assertEquals(0, node.cli(null, "kv", "put", "app/name", "cohort").exit());
      var got = node.cli(null, "kv", "get", "app/name");
      assertEquals("app/name\ncohort\n", got.out());
      var missing = node.cli(null, "kv", "get", "nope");
      assertEquals(3, missing.exit());
      assertTrue(missing.err().contains("key_not_found"), missing.err());

      assertEquals(0, node.cli(null, "topic", "create", "clicks", "--partitions", "2").exit());
      var produced = node.cli("u1:a\nu2:b\nu1:c\n", "produce", "clicks", "--key-separator", ":");
      assertEquals(0, produced.exit(), produced.err());
      var consumed =
          node.cli(
              null,
              "consume",
              "clicks",
              "--from-beginning",
              "--max-messages",
              "3",
              "--group",
              "cli-group");
      assertEquals(0, consumed.exit(), consumed.err());
      assertEquals(3, consumed.out().lines().count(), consumed.out());
      assertTrue(
          consumed.out().contains("u1\ta") && consumed.out().contains("u1\tc"), consumed.out());
      var described = node.cli(null, "groups", "describe", "cli-group");
      assertTrue(
          described
              .out()
              .lines()
              .skip(1)
              .allMatch(l -> l.matches("cli-group +clicks +\\d .* 0 .*")),
          described.out());

      var projection =
          node.cli(
              null,
              "projection",
              "create",
              "clicks-per-user",
              "--topic",
              "clicks",
              "--keyspace",
              "clicks-view",
              "--mode",
              "count");
      assertEquals(0, projection.exit(), projection.err());
      assertTrue(
          node.cli(null, "projection", "get", "clicks-per-user")
              .out()
              .lines()
              .anyMatch(l -> l.matches("mode +count")));
      var rebuilt = node.cli(null, "projection", "rebuild", "clicks-per-user");
      assertTrue(rebuilt.out().contains("state: REBUILDING"), rebuilt.out());
      var badMode =
          node.cli(
              null,
              "projection",
              "create",
              "bad",
              "--topic",
              "clicks",
              "--keyspace",
              "clicks-view",
              "--mode",
              "median");
      assertEquals(2, badMode.exit());
      assertTrue(badMode.err().contains("invalid_projection"), badMode.err());

      java.nio.file.Path definition = Files.createTempFile("saga", ".json");
      Files.writeString(
          definition,
          "{\"steps\":[{\"name\":\"mark\",\"action\":{\"kv\":{\"op\":\"put\",\"keyspace\":\"default\","
              + "\"key\":\"saga/${sagaId}\",\"value\":\"${input.note}\"}}}]}");
      assertEquals(0, node.cli(null, "saga", "define", "marker", definition.toString()).exit());
      var started =
          node.cli(null, "saga", "start", "marker", "--id", "s1", "--input", "{\"note\":\"hi\"}");
      assertEquals(0, started.exit(), started.err());
      var synth =
          node.cli(
              null,
              "dataset",
              "synth",
              "--topic",
              "digits",
              "--samples",
              "200",
              "--features",
              "8",
              "--classes",
              "3");
      assertEquals(0, synth.exit(), synth.err());
      java.nio.file.Path job = Files.createTempFile("job", ".json");
      Files.writeString(
          job,
          "{\"id\":\"cli-job\",\"name\":\"cli\",\"model\":{\"layers\":[8,8,3]},\"dataset\":{\"topic\":\"digits\"},"
              + "\"backend\":\"ring\",\"epochs\":1,\"batchSize\":20}");
      var submitted = node.cli(null, "train", "submit", job.toString());
      assertEquals(0, submitted.exit(), submitted.err());
      assertTrue(
          node.cli(null, "train", "get", "cli-job")
              .out()
              .lines()
              .anyMatch(l -> l.matches("id +cli-job")));
      var listed = node.cli(null, "train", "list");
      assertEquals(0, listed.exit(), listed.err());
      assertTrue(
          listed.out().startsWith("ID ")
              && listed.out().lines().anyMatch(l -> l.startsWith("cli-job ")),
          listed.out());
      var badInput = node.cli(null, "saga", "start", "marker", "--input", "not json");
      assertEquals(2, badInput.exit());
      assertTrue(badInput.err().contains("--input"), badInput.err());
      assertEquals(0, node.terminate(Duration.ofSeconds(30)));
    }
  }
}
