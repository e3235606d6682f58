package dev.cohort.platform.internal.cli;

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
      get("/v1/groups").path("groups").forEach(g -> System.out.println(g.asText()));
    }
  }

  @Command(
      name = "describe",
      mixinStandardHelpOptions = true,
      description = "Members, assignment, offsets and lag.")
  static final class Describe extends ClientCommand implements Runnable {
    @Parameters(index = "0")
    String group;

    @Override
    public void run() {
      print(get("/v1/groups/" + encode(group)));
    }
  }
}
