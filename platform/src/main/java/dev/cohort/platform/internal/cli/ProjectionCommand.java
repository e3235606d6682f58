package dev.cohort.platform.internal.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cohort projection create|get|list|rebuild|delete}. */
@Command(
    name = "projection",
    mixinStandardHelpOptions = true,
    description = "Build read models in kv keyspaces from topics.",
    subcommands = {
      ProjectionCommand.Create.class,
      ProjectionCommand.Get.class,
      ProjectionCommand.ListAll.class,
      ProjectionCommand.Rebuild.class,
      ProjectionCommand.Delete.class
    })
public final class ProjectionCommand {

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Create a projection (an equal one again changes nothing).")
  static final class Create extends ClientCommand implements Runnable {
    @Parameters(index = "0", description = "the projection's name")
    String name;

    @Option(names = "--topic", required = true, description = "source topic")
    String topic;

    @Option(
        names = "--keyspace",
        required = true,
        description = "sink CP keyspace (created when missing)")
    String keyspace;

    @Option(names = "--mode", required = true, description = "latest, count or sum")
    String mode;

    @Option(names = "--field", description = "the JSON numeric field summed (mode sum)")
    String field;

    @Option(
        names = "--key-from",
        defaultValue = "key",
        description = "view key: key (the record key) or field:<name> of the JSON value")
    String keyFrom;

    @Override
    public void run() {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("source", Map.of("topic", topic));
      body.put("sink", Map.of("keyspace", keyspace));
      body.put("mode", mode);
      if (field != null) {
        body.put("field", field);
      }
      body.put("keyFrom", keyFrom);
      show(put("/v1/projections/" + encode(name), body), OutputFormat.SIMPLE);
    }
  }

  @Command(
      name = "get",
      mixinStandardHelpOptions = true,
      description = "A projection: state, offsets per source partition, lag.")
  static final class Get extends ClientCommand implements Runnable {
    @Parameters(index = "0", description = "the projection's name")
    String name;

    @Override
    public void run() {
      show(get("/v1/projections/" + encode(name)), OutputFormat.TABLE);
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List projections.")
  static final class ListAll extends ClientCommand implements Runnable {
    @Override
    public void run() {
      show(get("/v1/projections"), OutputFormat.TABLE);
    }
  }

  @Command(
      name = "rebuild",
      mixinStandardHelpOptions = true,
      description = "Clear the view and replay the topic from the beginning.")
  static final class Rebuild extends ClientCommand implements Runnable {
    @Parameters(index = "0", description = "the projection's name")
    String name;

    @Override
    public void run() {
      show(post("/v1/projections/" + encode(name) + "/rebuild", null), OutputFormat.SIMPLE);
    }
  }

  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description = "Stop and forget a projection (its view keys stay).")
  static final class Delete extends ClientCommand implements Runnable {
    @Parameters(index = "0", description = "the projection's name")
    String name;

    @Override
    public void run() {
      show(delete("/v1/projections/" + encode(name)), OutputFormat.SIMPLE);
    }
  }
}
