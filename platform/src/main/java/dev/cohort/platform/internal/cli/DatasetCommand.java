package dev.cohort.platform.internal.cli;

import dev.cohort.training.SyntheticDataset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cohort dataset synth}: writes a learnable synthetic dataset to a topic, one record per
 * sample in the training format ({@code [int32 label][float32 × features]}, little-endian), labels
 * from a fixed random teacher network seeded by {@code --seed}. On a terminal a live line shows how
 * many samples are written; piped, it prints nothing.
 */
@Command(
    name = "dataset",
    mixinStandardHelpOptions = true,
    description = "Training datasets.",
    subcommands = DatasetCommand.Synth.class)
public final class DatasetCommand {
  private static final int BATCH = 500;

  @Command(
      name = "synth",
      mixinStandardHelpOptions = true,
      description = "Write a synthetic dataset to a topic.")
  static final class Synth extends ClientCommand implements Runnable {
    @Option(
        names = "--topic",
        required = true,
        description = "the topic to write to (created when missing)")
    String topic;

    @Option(names = "--samples", defaultValue = "10000", description = "samples (default: 10000)")
    int samples;

    @Option(
        names = "--features",
        defaultValue = "1024",
        description = "features per sample (default: 1024)")
    int features;

    @Option(
        names = "--classes",
        defaultValue = "10",
        description = "label classes, at least 2 (default: 10)")
    int classes;

    @Option(
        names = "--seed",
        defaultValue = "1",
        description = "seed of the teacher network and the features (default: 1)")
    long seed;

    @Option(
        names = "--partitions",
        defaultValue = "1",
        description = "partitions if the topic is created")
    int partitions;

    @Override
    public void run() {
      if (samples < 1 || features < 1 || classes < 2) {
        throw new CliException(
            CliErrors.USAGE, "--samples and --features must be positive and --classes at least 2");
      }
      try {
        get("/v1/topics/" + encode(topic));
      } catch (CliException missing) {
        post("/v1/topics", Map.of("name", topic, "partitions", partitions));
      }
      ProgressLine progress = ProgressLine.onStderr(false);
      List<Map<String, Object>> batch = new ArrayList<>();
      int written = 0;
      for (byte[] record : SyntheticDataset.records(samples, features, classes, seed)) {
        batch.add(Map.of("valueBase64", Base64.getEncoder().encodeToString(record)));
        if (batch.size() == BATCH) {
          written += RecordBatches.send(this, topic, batch);
          progress.update(
              "writing "
                  + topic
                  + ": "
                  + written
                  + "/"
                  + samples
                  + " samples ("
                  + written * 100L / samples
                  + "%)");
        }
      }
      written += RecordBatches.send(this, topic, batch);
      progress.finish(
          written
              + " samples of "
              + features
              + " features, "
              + classes
              + " classes written to "
              + topic);
    }
  }
}
