package dev.cohort.platform;

import dev.cohort.platform.internal.CertsCommand;
import dev.cohort.platform.internal.RunCommand;
import dev.cohort.platform.internal.cli.AuthCommand;
import dev.cohort.platform.internal.cli.CliErrors;
import dev.cohort.platform.internal.cli.ClusterCommand;
import dev.cohort.platform.internal.cli.CompletionCommand;
import dev.cohort.platform.internal.cli.ConsumeCommand;
import dev.cohort.platform.internal.cli.DatasetCommand;
import dev.cohort.platform.internal.cli.GroupsCommand;
import dev.cohort.platform.internal.cli.KvCommand;
import dev.cohort.platform.internal.cli.ProduceCommand;
import dev.cohort.platform.internal.cli.ProjectionCommand;
import dev.cohort.platform.internal.cli.SagaCommand;
import dev.cohort.platform.internal.cli.TopicCommand;
import dev.cohort.platform.internal.cli.TrainCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code cohort} command line. {@code run} starts a node; client subcommands talk to a running
 * node's gateway. Adding a subcommand is one class annotated with {@link Command} listed here.
 */
@Command(
    name = "cohort",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Cohort: an actor-based unified data platform.",
    subcommands = {
      RunCommand.class,
      KvCommand.class,
      TopicCommand.class,
      ProduceCommand.class,
      ConsumeCommand.class,
      GroupsCommand.class,
      SagaCommand.class,
      ProjectionCommand.class,
      TrainCommand.class,
      DatasetCommand.class,
      AuthCommand.class,
      ClusterCommand.class,
      CompletionCommand.class,
      CertsCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main {

  public static void main(String[] args) {
    int exit = commandLine().execute(args);
    if (exit != 0 || !RunCommand.keepsRunning(args)) {
      System.exit(exit);
    }
  }

  /** The command line as {@link #main} runs it; exit statuses are {@link CliErrors}'. */
  public static CommandLine commandLine() {
    return new CommandLine(new Main())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler(new CliErrors());
  }

  /** The version from the build's configuration. */
  public static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version =
          com.typesafe.config.ConfigFactory.load().getString("cohort.observability.version");
      return new String[] {"cohort " + version};
    }
  }
}
