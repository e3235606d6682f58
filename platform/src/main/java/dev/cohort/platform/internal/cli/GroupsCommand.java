package dev.cohort.platform.internal.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code cohort groups list|describe GROUP}. */
@Command(
    name = "groups",
    mixinStandardHelpOptions = true,
    description = "Inspect consumer groups.",
    subcommands = {GroupsCommand.ListGroups.class, GroupsCommand.Describe.class})
public final class GroupsCommand {

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List consumer groups.")
  static final class ListGroups extends ClientCommand implements Runnable {
    @Override
    public void run() {
      show(get("/v1/groups"), OutputFormat.TABLE);
    }
  }

  /**
   * One row per committed partition, as {@code kafka-consumer-groups --describe}: offsets and lag,
   * and the member the partition is assigned to ("-" when none).
   */
  @Command(
      name = "describe",
      mixinStandardHelpOptions = true,
      description = "Members, assignment, offsets and lag.")
  static final class Describe extends ClientCommand implements Runnable {
    @Parameters(index = "0", description = "the group's id")
    String group;

    @Override
    public void run() {
      JsonNode described = get("/v1/groups/" + encode(group));
      if (format(OutputFormat.TABLE) != OutputFormat.TABLE) {
        show(described, OutputFormat.TABLE);
        return;
      }
      Map<String, JsonNode> owners = new HashMap<>();
      for (JsonNode member : described.path("members")) {
        for (JsonNode tp : member.path("assignment")) {
          owners.put(tp.path("topic").asText() + "/" + tp.path("partition").asInt(), member);
        }
      }
      Table table =
          Table.of(
              "GROUP",
              "TOPIC",
              "PARTITION",
              "CURRENT-OFFSET",
              "LOG-END-OFFSET",
              "LAG",
              "CONSUMER-ID",
              "CLIENT-ID");
      for (JsonNode o : described.path("offsets")) {
        JsonNode owner = owners.get(o.path("topic").asText() + "/" + o.path("partition").asInt());
        table.row(
            described.path("groupId").asText(group),
            o.path("topic").asText(),
            o.path("partition").asInt(),
            o.path("committedOffset").asLong(),
            o.path("logEndOffset").asLong(),
            o.path("lag").asLong(),
            owner == null ? null : owner.path("memberId").asText(),
            owner == null ? null : owner.path("clientId").asText());
      }
      table.print(Output.out());
    }
  }
}
