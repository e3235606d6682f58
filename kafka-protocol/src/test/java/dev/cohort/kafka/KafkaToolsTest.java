package dev.cohort.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.log.OffsetAndMetadata;
import dev.cohort.log.TopicPartition;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Kafka's own command-line tools (kafka-tools 4.4.0 from Maven Central, each run in a child JVM as
 * its script would) and kcat (librdkafka, a second client implementation) against one node.
 */
@Tag("integration")
class KafkaToolsTest {
  private static KafkaTestNode node;

  @BeforeAll
  static void start() throws Exception {
    node =
        KafkaTestNode.start(
            Files.createTempDirectory("cohort-kafka-tools"), KafkaTestNode.freePort(), "");
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private record Run(int exit, String out) {}

  private static Run run(List<String> command, String stdin)
      throws IOException, InterruptedException {
    Path output = Files.createTempFile("kafka-tool", ".out");
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    try (var in = process.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    }
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(
          command + " did not finish within 60 s: " + Files.readString(output));
    }
    return new Run(process.exitValue(), Files.readString(output));
  }

  /** Runs a kafka-tools main class in a child JVM on this test's classpath. */
  private static Run tool(String mainClass, String stdin, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-cp");
    command.add(
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    command.add(mainClass);
    command.addAll(List.of(args));
    Run result = run(command, stdin);
    assertEquals(0, result.exit(), mainClass + " failed: " + result.out());
    return result;
  }

  private static final String TOPICS = "org.apache.kafka.tools.TopicCommand";
  private static final String PRODUCER = "org.apache.kafka.tools.ConsoleProducer";
  private static final String CONSUMER = "org.apache.kafka.tools.consumer.ConsoleConsumer";
  private static final String GROUPS = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand";

  @Test
  void kafkaTopicsConsoleProducerConsumerAndConsumerGroups() throws Exception {
    String bootstrap = node.bootstrap();
    tool(
        TOPICS,
        null,
        "--bootstrap-server",
        bootstrap,
        "--create",
        "--topic",
        "tools",
        "--partitions",
        "3",
        "--replication-factor",
        "1");
    assertTrue(
        tool(TOPICS, null, "--bootstrap-server", bootstrap, "--list")
            .out()
            .lines()
            .anyMatch("tools"::equals));
    String described =
        tool(TOPICS, null, "--bootstrap-server", bootstrap, "--describe", "--topic", "tools").out();
    assertTrue(described.contains("PartitionCount: 3"), described);

    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 30; i++) {
      lines.append("k").append(i % 4).append(':').append("line-").append(i).append('\n');
    }
    tool(
        PRODUCER,
        lines.toString(),
        "--bootstrap-server",
        bootstrap,
        "--topic",
        "tools",
        "--property",
        "parse.key=true",
        "--property",
        "key.separator=:");

    String consumed =
        tool(
                CONSUMER,
                null,
                "--bootstrap-server",
                bootstrap,
                "--topic",
                "tools",
                "--group",
                "tools-group",
                "--from-beginning",
                "--max-messages",
                "30",
                "--timeout-ms",
                "30000")
            .out();
    for (int i = 0; i < 30; i++) {
      String expected = "line-" + i;
      assertTrue(consumed.lines().anyMatch(expected::equals), expected + " in " + consumed);
    }

    String group =
        tool(GROUPS, null, "--bootstrap-server", bootstrap, "--describe", "--group", "tools-group")
            .out();
    assertEquals(
        3,
        group.lines().filter(l -> l.startsWith("tools-group") && l.contains(" tools ")).count(),
        group);
    Map<TopicPartition, OffsetAndMetadata> committed =
        node.log().committedOffsets("tools-group").toCompletableFuture().get();
    assertEquals(30, committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum());

    tool(
        GROUPS,
        null,
        "--bootstrap-server",
        bootstrap,
        "--reset-offsets",
        "--group",
        "tools-group",
        "--topic",
        "tools",
        "--to-earliest",
        "--execute");
    Map<TopicPartition, OffsetAndMetadata> reset =
        node.log().committedOffsets("tools-group").toCompletableFuture().get();
    assertEquals(3, reset.size());
    assertTrue(reset.values().stream().allMatch(o -> o.offset() == 0), reset.toString());

    tool(
        GROUPS,
        null,
        "--bootstrap-server",
        bootstrap,
        "--delete-offsets",
        "--group",
        "tools-group",
        "--topic",
        "tools:0");
    assertEquals(2, node.log().committedOffsets("tools-group").toCompletableFuture().get().size());
    tool(GROUPS, null, "--bootstrap-server", bootstrap, "--delete", "--group", "tools-group");
    assertTrue(node.log().committedOffsets("tools-group").toCompletableFuture().get().isEmpty());
    assertTrue(
        tool(GROUPS, null, "--bootstrap-server", bootstrap, "--list")
            .out()
            .lines()
            .noneMatch("tools-group"::equals));
  }

  @Test
  void kcatProducesAndConsumes() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/kcat")),
        "kcat is not installed (.ci/run installs it)");
    node.log().createTopic("kcat", 2, Map.of()).toCompletableFuture().get();
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      lines.append("key").append(i % 3).append(':').append("kcat-").append(i).append('\n');
    }
    Run produced =
        run(
            List.of("kcat", "-P", "-b", node.bootstrap(), "-t", "kcat", "-K", ":"),
            lines.toString());
    assertEquals(0, produced.exit(), produced.out());
    Run consumed =
        run(
            List.of(
                "kcat",
                "-C",
                "-b",
                node.bootstrap(),
                "-t",
                "kcat",
                "-o",
                "beginning",
                "-e",
                "-f",
                "%k=%s\n"),
            null);
    assertEquals(0, consumed.exit(), consumed.out());
    for (int i = 0; i < 20; i++) {
      String expected = "key" + (i % 3) + "=kcat-" + i;
      assertTrue(
          consumed.out().lines().anyMatch(expected::equals), expected + " in " + consumed.out());
    }
  }
}
