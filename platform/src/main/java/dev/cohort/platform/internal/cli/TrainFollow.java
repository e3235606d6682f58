package dev.cohort.platform.internal.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * {@code train submit --follow}: polls the job until it ends, showing a live line of epoch, step,
 * loss, samples/s and ETA ({@link ProgressLine}: rewritten in place on a terminal, one line per
 * change when piped), then prints the final state on stdout. The ETA is the samples still to train
 * (epochs × the dataset topic's records, less the steps done × batch × workers) over the job's
 * current samples/s; it is an estimate, shown as "-" until the job reports a rate.
 */
final class TrainFollow {
  static final Duration POLL_INTERVAL = Duration.ofMillis(500);

  private final Function<String, JsonNode> get;
  private final JsonNode job;
  private final long datasetSamples;

  /**
   * {@code get} fetches a gateway path; {@code job} is the submitted description; {@code
   * datasetSamples} the records in its dataset topic.
   */
  TrainFollow(Function<String, JsonNode> get, JsonNode job, long datasetSamples) {
    this.get = get;
    this.job = job;
    this.datasetSamples = datasetSamples;
  }

  /** Follows job {@code id} to its end; returns its final status. */
  JsonNode follow(String id, ProgressLine progress, OutputFormat format) {
    while (true) {
      JsonNode status = get.apply("/v1/training/jobs/" + ClientCommand.encode(id));
      if (format == OutputFormat.JSON) {
        Output.jsonLine(status);
      } else {
        progress.update(line(status));
      }
      if (ended(status)) {
        progress.end();
        return status;
      }
      LockSupport.parkNanos(POLL_INTERVAL.toNanos());
    }
  }

  static boolean ended(JsonNode status) {
    return switch (status.path("state").asText()) {
      case "COMPLETED", "FAILED", "CANCELLED" -> true;
      default -> false;
    };
  }

  /** {@code epoch 1/3 step 40/150 loss 1.0832 1520 samples/s ETA 0:07}. */
  String line(JsonNode status) {
    String state = status.path("state").asText();
    if (!state.equals("RUNNING") && !ended(status)) {
      return state.toLowerCase(Locale.ROOT) + " (waiting for workers)";
    }
    int epochs = job.path("epochs").asInt(1);
    long totalSteps = totalSteps(status);
    return String.format(
        Locale.ROOT,
        "epoch %d/%d  step %d/%s  loss %s  %.0f samples/s  ETA %s",
        Math.min(epochs, status.path("epoch").asInt() + 1),
        epochs,
        status.path("step").asLong(),
        totalSteps > 0 ? Long.toString(totalSteps) : "?",
        loss(status),
        status.path("samplesPerSecond").asDouble(),
        eta(status));
  }

  /** The final state on one line, for stdout. */
  String summary(JsonNode status) {
    String state = status.path("state").asText();
    StringBuilder line =
        new StringBuilder("job ")
            .append(status.path("id").asText())
            .append(' ')
            .append(state)
            .append(" at epoch ")
            .append(status.path("epoch").asInt() + 1)
            .append(", step ")
            .append(status.path("step").asLong())
            .append(", loss ")
            .append(loss(status));
    if (status.hasNonNull("reason")) {
      line.append(": ").append(status.path("reason").asText());
    }
    return line.toString();
  }

  private static String loss(JsonNode status) {
    JsonNode losses = status.path("losses");
    return losses.isEmpty()
        ? "-"
        : String.format(Locale.ROOT, "%.4f", losses.get(losses.size() - 1).path("loss").asDouble());
  }

  private int workers(JsonNode status) {
    return Math.max(1, status.path("workers").size());
  }

  private long totalSteps(JsonNode status) {
    if (datasetSamples <= 0) {
      return 0;
    }
    long batch = job.path("batchSize").asLong(32);
    long share = (datasetSamples + workers(status) - 1) / workers(status);
    return job.path("epochs").asLong(1) * ((share + batch - 1) / batch);
  }

  private String eta(JsonNode status) {
    double rate = status.path("samplesPerSecond").asDouble();
    if (ended(status)) {
      return "0:00";
    }
    if (rate <= 0 || datasetSamples <= 0) {
      return "-";
    }
    long done = status.path("step").asLong() * job.path("batchSize").asLong(32) * workers(status);
    long left = Math.max(0, job.path("epochs").asLong(1) * datasetSamples - done);
    long seconds = Math.round(left / rate);
    return seconds >= 3600
        ? String.format(
            Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
        : String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
  }
}
