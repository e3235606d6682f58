package dev.cohort.platform.internal.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cohort consume TOPIC}: prints record values (as {@code key<TAB>value} when keyed; with
 * {@code -o json} each record's JSON on one line). It stops after {@code --max-messages} records,
 * or when none arrived for {@code --timeout-ms} (Kafka's console consumer's names). Alone it reads
 * every partition from the end (or the beginning with {@code --from-beginning}); with {@code
 * --group} it joins the group, reads its assignment and commits after printing (at-least-once), and
 * leaves the group at the end.
 */
@Command(
    name = "consume",
    mixinStandardHelpOptions = true,
    description = "Print records of a topic.")
public final class ConsumeCommand extends ClientCommand implements Runnable {
  @Parameters(index = "0", description = "the topic to read")
  String topic;

  @Option(names = "--group", description = "consume as a member of this consumer group")
  String group;

  @Option(names = "--from-beginning", description = "start at the earliest offset")
  boolean fromBeginning;

  @Option(
      names = "--max-messages",
      defaultValue = "-1",
      description = "stop after this many records (default: no limit)")
  long maxMessages;

  @Option(
      names = "--timeout-ms",
      defaultValue = "-1",
      description = "stop when no record arrived for this many milliseconds (default: never)")
  long timeoutMs;

  @Option(
      names = "--wait-ms",
      defaultValue = "1000",
      description = "long-poll wait per fetch in milliseconds (default: 1000)")
  long waitMs;

  private long printed;
  private long lastRecordNanos;
  private OutputFormat format;

  @Override
  public void run() {
    format = format(OutputFormat.SIMPLE);
    if (format == OutputFormat.TABLE) {
      throw new CliException(
          CliErrors.USAGE, "records print as they arrive: use -o simple or -o json, not table");
    }
    lastRecordNanos = System.nanoTime();
    if (group != null) {
      consumeAsMember();
    } else {
      consumePartitions();
    }
  }

  private void consumePartitions() {
    JsonNode description = get("/v1/topics/" + encode(topic));
    List<long[]> positions = new ArrayList<>();
    for (JsonNode p : description.path("partitions")) {
      long start =
          fromBeginning ? p.path("logStartOffset").asLong() : p.path("logEndOffset").asLong();
      positions.add(new long[] {p.path("partition").asLong(), start});
    }
    long perPartition = Math.max(1, waitMs / Math.max(1, positions.size()));
    while (!done()) {
      for (long[] position : positions) {
        JsonNode fetched =
            get(
                "/v1/topics/"
                    + encode(topic)
                    + "/partitions/"
                    + position[0]
                    + "/records?offset="
                    + position[1]
                    + "&maxWaitMs="
                    + pollWait(perPartition));
        for (JsonNode record : fetched.path("records")) {
          if (done()) {
            return;
          }
          show(record);
        }
        position[1] = fetched.path("nextOffset").asLong(position[1]);
      }
    }
  }

  private void consumeAsMember() {
    String reset = fromBeginning ? "earliest" : "latest";
    JsonNode joined =
        post(
            "/v1/groups/" + encode(group) + "/members",
            Map.of("topics", List.of(topic), "autoOffsetReset", reset));
    String member = joined.path("memberId").asText();
    try {
      while (!done()) {
        JsonNode fetched =
            get(
                "/v1/groups/"
                    + encode(group)
                    + "/members/"
                    + encode(member)
                    + "/records?maxWaitMs="
                    + pollWait(waitMs));
        List<Map<String, Object>> commits = new ArrayList<>();
        for (JsonNode record : fetched.path("records")) {
          if (done()) {
            break;
          }
          show(record);
          commits.add(
              Map.of(
                  "topic", record.path("topic").asText(),
                  "partition", record.path("partition").asInt(),
                  "offset", record.path("offset").asLong() + 1));
        }
        if (!commits.isEmpty()) {
          post(
              "/v1/groups/" + encode(group) + "/offsets",
              Map.of(
                  "memberId",
                  member,
                  "generation",
                  fetched.path("generation").asInt(),
                  "offsets",
                  commits));
        }
      }
    } finally {
      delete("/v1/groups/" + encode(group) + "/members/" + encode(member));
    }
  }

  /** Enough records printed, or {@code --timeout-ms} passed since the last one arrived. */
  private boolean done() {
    return (maxMessages >= 0 && printed >= maxMessages)
        || (timeoutMs >= 0 && System.nanoTime() - lastRecordNanos >= timeoutMs * 1_000_000);
  }

  /** A fetch's long-poll wait: {@code wanted}, cut to what is left of {@code --timeout-ms}. */
  private long pollWait(long wanted) {
    if (timeoutMs < 0) {
      return wanted;
    }
    long left = timeoutMs - (System.nanoTime() - lastRecordNanos) / 1_000_000;
    return Math.max(0, Math.min(wanted, left));
  }

  private void show(JsonNode record) {
    lastRecordNanos = System.nanoTime();
    if (format == OutputFormat.JSON) {
      Output.jsonLine(record);
      printed++;
      return;
    }
    String value =
        record.path("value").isNull()
            ? "null"
            : record.path("value").asText(record.path("valueBase64").asText());
    Output.out().println(record.has("key") ? record.path("key").asText() + "\t" + value : value);
    printed++;
  }
}
