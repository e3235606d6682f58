package dev.cohort.platform.internal.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cohort saga define|start|get|list|retry|resolve}. */
@Command(
    name = "saga",
    mixinStandardHelpOptions = true,
    description = "Define and run sagas.",
    subcommands = {
      SagaCommand.Define.class, SagaCommand.Start.class, SagaCommand.Get.class,
      SagaCommand.ListInstances.class, SagaCommand.Retry.class, SagaCommand.Resolve.class
    })
public final class SagaCommand {

  @Command(
      name = "define",
      mixinStandardHelpOptions = true,
      description = "Store a JSON definition (a new version).")
  static final class Define extends ClientCommand implements Runnable {
    @Parameters(index = "0", description = "the definition's name")
    String name;

    @Parameters(index = "1", description = "JSON definition file")
    Path file;

    @Override
    public void run() {
      try {
        show(
            put("/v1/sagas/definitions/" + encode(name), Files.readString(file)),
            OutputFormat.SIMPLE);
      } catch (IOException e) {
        throw new CliException(CliErrors.USAGE, "cannot read " + file + ": " + e.getMessage());
      }
    }
  }

  @Command(
      name = "start",
      mixinStandardHelpOptions = true,
      description = "Start an instance (idempotent by --id).")
  static final class Start extends ClientCommand implements Runnable {
    @Parameters(index = "0", description = "the definition to run")
    String definition;

    @Option(
        names = "--id",
        description = "instance id; starting the same id again returns the same instance")
    String id;

    @Option(names = "--input", defaultValue = "{}", description = "input as a JSON object")
    String input;

    @Override
    public void run() {
      try {
        Map<String, Object> body = new LinkedHashMap<>();
        if (id != null) {
          body.put("id", id);
        }
        body.put("input", JSON.readTree(input));
        show(post("/v1/sagas/" + encode(definition) + "/instances", body), OutputFormat.SIMPLE);
      } catch (IOException e) {
        throw new CliException(CliErrors.USAGE, "--input is not JSON: " + e.getMessage());
      }
    }
  }

  @Command(
      name = "get",
      mixinStandardHelpOptions = true,
      description = "An instance: state, context, step history.")
  static final class Get extends ClientCommand implements Runnable {
    @Parameters(index = "0", description = "the instance's id")
    String id;

    @Override
    public void run() {
      show(get("/v1/sagas/instances/" + encode(id)), OutputFormat.TABLE);
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List instances.")
  static final class ListInstances extends ClientCommand implements Runnable {
    @Option(names = "--definition", description = "only instances of this definition")
    String definition;

    @Option(
        names = "--state",
        description =
            "only instances in this state: running, compensating, completed, compensated,"
                + " compensation_failed or resolved")
    String state;

    @Override
    public void run() {
      StringBuilder query = new StringBuilder("/v1/sagas/instances?");
      if (definition != null) {
        query.append("definition=").append(encode(definition)).append('&');
      }
      if (state != null) {
        query.append("state=").append(encode(state));
      }
      show(get(query.toString()), OutputFormat.TABLE);
    }
  }

  @Command(
      name = "retry",
      mixinStandardHelpOptions = true,
      description = "Resume compensating a COMPENSATION_FAILED instance.")
  static final class Retry extends ClientCommand implements Runnable {
    @Parameters(index = "0", description = "the instance's id")
    String id;

    @Override
    public void run() {
      show(post("/v1/sagas/instances/" + encode(id) + "/retry", null), OutputFormat.SIMPLE);
    }
  }

  @Command(
      name = "resolve",
      mixinStandardHelpOptions = true,
      description = "Mark an instance resolved by hand.")
  static final class Resolve extends ClientCommand implements Runnable {
    @Parameters(index = "0", description = "the instance's id")
    String id;

    @Option(names = "--reason", required = true, description = "why, kept with the instance")
    String reason;

    @Override
    public void run() {
      show(
          post("/v1/sagas/instances/" + encode(id) + "/resolve", Map.of("reason", reason)),
          OutputFormat.SIMPLE);
    }
  }
}
