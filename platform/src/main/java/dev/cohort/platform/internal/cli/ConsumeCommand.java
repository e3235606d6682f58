package dev.cohort.platform.internal.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cohort consume TOPIC}: prints record values (as {@code key<TAB>value} when keyed). Alone
 * it reads every partition from the end (or the beginning with {@code --from-beginning}); with
 * {@code --group} it joins the group, reads its assignment and commits after printing
 * (at-least-once), and leaves the group at the end.
 */
@Command(
    name = "consume",
    mixinStandardHelpOptions = true,
    description = "Print records of a topic.")
public final class ConsumeCommand extends ClientCommand implements Runnable {
  @Parameters(index = "0")
  String topic;

  @Option(names = "--group", description = "consume as a member of this consumer group")
  String group;

  @Option(names = "--from-beginning", description = "start at the earliest offset")
  boolean fromBeginning;

  @Option(names = "--max", defaultValue = "-1", description = "stop after this many records")
  long max;

  @Option(names = "--wait-ms", defaultValue = "1000", description = "long-poll wait per fetch")
  long waitMs;

  private long printed;

  @Override
  public void run() {
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
    long wait = Math.max(1, waitMs / Math.max(1, positions.size()));
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
                    + wait);
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
                    + waitMs);
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

  private boolean done() {
    return max >= 0 && printed >= max;
  }

  private void show(JsonNode record) {
    String value =
        record.path("value").isNull()
            ? "null"
            : record.path("value").asText(record.path("valueBase64").asText());
    System.out.println(record.has("key") ? record.path("key").asText() + "\t" + value : value);
    printed++;
  }
}
