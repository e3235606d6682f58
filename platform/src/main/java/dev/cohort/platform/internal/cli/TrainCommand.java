package dev.cohort.platform.internal.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
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
  static final class Submit extends ClientCommand implements Callable<Integer> {
    @Parameters(
        index = "0",
        description =
            "job JSON (name, model, dataset, workers, backend, epochs, …); README has one")
    Path file;

    @Option(
        names = {"-f", "--follow"},
        description =
            "follow the job: a live line of epoch, step, loss, samples/s and ETA, then its final"
                + " state; exits 1 unless it completed")
    boolean follow;

    @Override
    public Integer call() {
      String text;
      JsonNode job;
      try {
        text = Files.readString(file);
        job = JSON.readTree(text);
      } catch (IOException e) {
        throw new CliException(CliErrors.USAGE, "cannot read " + file + ": " + e.getMessage());
      }
      JsonNode submitted = post("/v1/training/jobs", text);
      if (!follow) {
        show(submitted, OutputFormat.SIMPLE);
        return CliErrors.OK;
      }
      String id = submitted.path("id").asText();
      TrainFollow follower = new TrainFollow(this::get, job, datasetSamples(job));
      JsonNode last = follower.follow(id, ProgressLine.onStderr(true), format(OutputFormat.SIMPLE));
      if (format(OutputFormat.SIMPLE) != OutputFormat.JSON) {
        Output.out().println(follower.summary(last));
      }
      return last.path("state").asText().equals("COMPLETED") ? CliErrors.OK : CliErrors.FAILED;
    }

    /**
     * Records in the job's dataset topic, for the ETA; 0 when it cannot be told (a missing topic
     * fails the job, which the follower then shows).
     */
    private long datasetSamples(JsonNode job) {
      String topic = job.path("dataset").path("topic").asText("");
      if (topic.isEmpty()) {
        return 0;
      }
      try {
        long records = 0;
        for (JsonNode p : get("/v1/topics/" + encode(topic)).path("partitions")) {
          records += p.path("logEndOffset").asLong() - p.path("logStartOffset").asLong();
        }
        return records;
      } catch (CliException missing) {
        return 0;
      }
    }
  }

  @Command(
      name = "get",
      mixinStandardHelpOptions = true,
      description = "State, progress and losses of a job.")
  static final class Get extends ClientCommand implements Runnable {
    @Parameters(index = "0", description = "the job's id")
    String id;

    @Override
    public void run() {
      show(get("/v1/training/jobs/" + encode(id)), OutputFormat.TABLE);
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Every job: id, name, state, epoch, step, workers.")
  static final class List extends ClientCommand implements Runnable {
    @Override
    public void run() {
      show(get("/v1/training/jobs"), OutputFormat.TABLE);
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a job.")
  static final class Cancel extends ClientCommand implements Runnable {
    @Parameters(index = "0", description = "the job's id")
    String id;

    @Override
    public void run() {
      show(delete("/v1/training/jobs/" + encode(id)), OutputFormat.SIMPLE);
    }
  }
}
