package dev.cohort.platform.internal.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cohort topic create|list|describe|alter|delete}. */
@Command(
    name = "topic",
    mixinStandardHelpOptions = true,
    description = "Manage stream-log topics.",
    subcommands = {
      TopicCommand.Create.class,
      TopicCommand.ListTopics.class,
      TopicCommand.Describe.class,
      TopicCommand.Alter.class,
      TopicCommand.Delete.class
    })
public final class TopicCommand {

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a topic.")
  static final class Create extends ClientCommand implements Runnable {
    @Parameters(index = "0", description = "the topic's name")
    String name;

    @Option(names = "--partitions", defaultValue = "1", description = "partitions (default: 1)")
    int partitions;

    @Option(
        names = "--config",
        description = "Kafka topic config, e.g. retention.ms=60000; repeatable")
    Map<String, String> configs = new LinkedHashMap<>();

    @Override
    public void run() {
      JsonNode created =
          post("/v1/topics", Map.of("name", name, "partitions", partitions, "configs", configs));
      if (format(OutputFormat.SIMPLE) == OutputFormat.SIMPLE) {
        Output.out().println("Created topic " + created.path("name").asText(name) + ".");
      } else {
        show(created, OutputFormat.SIMPLE);
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List topics.")
  static final class ListTopics extends ClientCommand implements Runnable {
    @Override
    public void run() {
      show(get("/v1/topics"), OutputFormat.TABLE);
    }
  }

  @Command(
      name = "describe",
      mixinStandardHelpOptions = true,
      description = "Configs and partition offsets.")
  static final class Describe extends ClientCommand implements Runnable {
    @Parameters(index = "0", description = "the topic's name")
    String name;

    @Override
    public void run() {
      JsonNode topic = get("/v1/topics/" + encode(name));
      if (format(OutputFormat.TABLE) != OutputFormat.TABLE) {
        show(topic, OutputFormat.TABLE);
        return;
      }
      Table table =
          Table.of(
              "TOPIC", "PARTITION", "LOG-START-OFFSET", "LOG-END-OFFSET", "SIZE-BYTES", "NODE");
      for (JsonNode p : topic.path("partitions")) {
        table.row(
            topic.path("name").asText(),
            p.path("partition").asInt(),
            p.path("logStartOffset").asLong(),
            p.path("logEndOffset").asLong(),
            p.path("sizeBytes").asLong(),
            p.path("node").asText());
      }
      table.print(Output.out());
    }
  }

  @Command(
      name = "alter",
      mixinStandardHelpOptions = true,
      description = "Change configs or add partitions.")
  static final class Alter extends ClientCommand implements Runnable {
    @Parameters(index = "0", description = "the topic's name")
    String name;

    @Option(names = "--partitions", description = "new total partition count")
    Integer partitions;

    @Option(names = "--config", description = "Kafka topic config key=value; repeatable")
    Map<String, String> configs = new LinkedHashMap<>();

    @Override
    public void run() {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("configs", configs);
      if (partitions != null) {
        body.put("partitions", partitions);
      }
      show(patch("/v1/topics/" + encode(name), body), OutputFormat.SIMPLE);
    }
  }

  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description = "Delete a topic and its records.")
  static final class Delete extends ClientCommand implements Runnable {
    @Parameters(index = "0", description = "the topic's name")
    String name;

    @Override
    public void run() {
      show(delete("/v1/topics/" + encode(name)), OutputFormat.SIMPLE);
    }
  }
}
