package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

/** The CLI's model: every option and argument explained, the completion script complete. */
class CliHelpTest {

  @Test
  void everyOptionAndPositionalOfEveryCommandHasHelpText() {
    List<String> undescribed = new ArrayList<>();
    int checked = walk(Main.commandLine().getCommandSpec(), undescribed);
    assertTrue(undescribed.isEmpty(), "without help text: " + undescribed);
    assertTrue(checked > 100, "walked only " + checked + " options and arguments");
  }

  private static int walk(CommandSpec command, List<String> undescribed) {
    int checked = 0;
    for (ArgSpec arg : command.args()) {
      checked++;
      String[] description = arg.description();
      if (description.length == 0 || String.join("", description).isBlank()) {
        undescribed.add(command.qualifiedName() + " " + arg.paramLabel());
      }
    }
    for (CommandLine sub : command.subcommands().values()) {
      checked += walk(sub.getCommandSpec(), undescribed);
    }
    return checked;
  }

  @Test
  void completionPrintsABashScriptNamingTheSubcommandsAndOptions() {
    StringWriter out = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out));
    java.io.ByteArrayOutputStream stdout = new java.io.ByteArrayOutputStream();
    java.io.PrintStream saved = System.out;
    System.setOut(new java.io.PrintStream(stdout, true, java.nio.charset.StandardCharsets.UTF_8));
    int exit;
    try {
      exit = cli.execute("completion");
    } finally {
      System.setOut(saved);
    }
    assertEquals(0, exit);
    String script = stdout.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(script.startsWith("#!/usr/bin/env bash"), script.lines().findFirst().orElse(""));
    assertTrue(script.contains("complete -F _complete_cohort"), "no complete -F line");
    for (String word :
        List.of("kv", "topic", "consume", "groups", "train", "dataset", "completion", "--output")) {
      assertTrue(script.contains(word), "the script does not mention " + word);
    }
    assertTrue(script.contains("--timeout-ms") && script.contains("--keys-only"));
  }
}
