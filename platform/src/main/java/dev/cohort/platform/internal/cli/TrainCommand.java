package dev.cohort.platform.internal.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code cohort train submit|get|list|cancel}. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = "Submit and follow training jobs.",
    subcommands = {
      TrainCommand.Submit.class,
      TrainCommand.Get.class,
      TrainCommand.List.class,
      TrainCommand.Cancel.class
    })
public final class TrainCommand {

  @Command(
      name = "submit",
      mixinStandardHelpOptions = true,
      description = "Submit a job described in a JSON file.")
  static final class Submit extends ClientCommand implements Runnable {
    @Parameters(
        index = "0",
        description = "job JSON (name, model, dataset, workers, backend, epochs, …)")
    Path file;

    @Override
    public void run() {
      try {
        print(post("/v1/training/jobs", Files.readString(file)));
      } catch (IOException e) {
        throw new CliException("cannot read " + file + ": " + e.getMessage());
      }
    }
  }

  @Command(
      name = "get",
      mixinStandardHelpOptions = true,
      description = "State, progress and losses of a job.")
  static final class Get extends ClientCommand implements Runnable {
    @Parameters(index = "0")
    String id;

    @Override
    public void run() {
      print(get("/v1/training/jobs/" + encode(id)));
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Every job: id, name, state, epoch, step, workers.")
  static final class List extends ClientCommand implements Runnable {
    @Override
    public void run() {
      print(get("/v1/training/jobs"));
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a job.")
  static final class Cancel extends ClientCommand implements Runnable {
    @Parameters(index = "0")
    String id;

    @Override
    public void run() {
      print(delete("/v1/training/jobs/" + encode(id)));
    }
  }
}
