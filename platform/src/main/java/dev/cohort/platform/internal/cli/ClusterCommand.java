package dev.cohort.platform.internal.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code cohort cluster members|leave|down}: the cluster management endpoints ({@code GET
 * /v1/cluster}, {@code PUT /v1/cluster/members/{address}}) from the command line.
 */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = "List cluster members; make one leave or mark it down.",
    subcommands = {
      ClusterCommand.Members.class,
      ClusterCommand.Leave.class,
      ClusterCommand.Down.class
    })
public final class ClusterCommand {

  @Command(
      name = "members",
      mixinStandardHelpOptions = true,
      description = "A table of the members: address, status, reachability, roles, leader.")
  static final class Members extends ClientCommand implements Runnable {
    @Override
    public void run() {
      JsonNode cluster = get("/v1/cluster");
      if (format(OutputFormat.TABLE) != OutputFormat.TABLE) {
        show(cluster.path("members"), OutputFormat.TABLE);
        return;
      }
      String leader = cluster.path("leader").asText("");
      Table table = Table.of("ADDRESS", "STATUS", "REACHABLE", "ROLES", "LEADER");
      for (JsonNode member : cluster.path("members")) {
        List<String> roles = new ArrayList<>();
        member.path("roles").forEach(r -> roles.add(r.asText()));
        String address = member.path("address").asText();
        table.row(
            address,
            member.path("status").asText(),
            member.path("reachable").asBoolean(),
            String.join(",", roles),
            address.equals(leader));
      }
      table.print(Output.out());
    }
  }

  /** A PUT of one operation on the member named by the argument; prints the node's message. */
  abstract static class Operate extends ClientCommand implements Runnable {
    @Parameters(
        index = "0",
        description = "the member: pekko://cohort@host:port, cohort@host:port or host:port")
    String address;

    abstract String operation();

    @Override
    public void run() {
      JsonNode answer = put(member(address), Map.of("operation", operation()));
      if (format(OutputFormat.SIMPLE) == OutputFormat.SIMPLE) {
        Output.out().println(answer.path("message").asText());
      } else {
        show(answer, OutputFormat.SIMPLE);
      }
    }
  }

  @Command(
      name = "leave",
      mixinStandardHelpOptions = true,
      description = "Make a member leave gracefully (hand its shards off, then its node stops).")
  static final class Leave extends Operate {
    @Override
    String operation() {
      return "leave";
    }
  }

  @Command(
      name = "down",
      mixinStandardHelpOptions = true,
      description = "Mark a member down (for a node known to be dead; no hand-off).")
  static final class Down extends Operate {
    @Override
    String operation() {
      return "down";
    }
  }

  private static String member(String address) {
    return "/v1/cluster/members/" + ClientCommand.encode(address);
  }
}
