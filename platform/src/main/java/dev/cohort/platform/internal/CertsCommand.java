package dev.cohort.platform.internal;

import dev.cohort.cluster.tls.DevCertificates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cohort certs dev}: writes a development CA, node certificates and a client certificate as
 * PEM files, for tests and for trying TLS out ({@link DevCertificates}). Never overwrites an
 * existing CA.
 */
@Command(
    name = "certs",
    mixinStandardHelpOptions = true,
    description = "TLS certificates for trying TLS out.",
    subcommands = {CertsCommand.Dev.class})
public final class CertsCommand {

  @Command(
      name = "dev",
      mixinStandardHelpOptions = true,
      description =
          "Write a development CA (ca.crt, ca.key), node certificates (node-N.crt, node-N.key)"
              + " and a client certificate (client.crt, client.key) as PEM files. Not for"
              + " production: use your own CA there.")
  static final class Dev implements Callable<Integer> {
    @Option(
        names = "--dir",
        defaultValue = "certs",
        description =
            "directory to write into; must not hold a ca.crt yet (default: ${DEFAULT-VALUE})")
    Path dir;

    @Option(
        names = "--nodes",
        defaultValue = "3",
        description = "how many node certificates (default: ${DEFAULT-VALUE})")
    int nodes;

    @Option(
        names = "--host",
        description =
            "DNS name or IP address the node certificates are valid for, besides localhost and"
                + " 127.0.0.1; repeat for several")
    List<String> hosts = new ArrayList<>();

    @Option(
        names = "--client",
        defaultValue = "root",
        description =
            "user name (certificate CN) of the client certificate (default: ${DEFAULT-VALUE})")
    String client;

    @Option(
        names = "--days",
        defaultValue = "365",
        description = "validity of every certificate in days (default: ${DEFAULT-VALUE})")
    int days;

    @Override
    public Integer call() {
      if (days < 1) {
        throw new IllegalArgumentException("--days must be at least 1, was " + days);
      }
      List<Path> written =
          DevCertificates.writeDevSet(dir, nodes, hosts, client, Duration.ofDays(days));
      written.forEach(System.out::println);
      System.out.println(
          "Turn TLS on with these files as README.md \"TLS\" shows (conf/cluster-node-tls.conf).");
      return 0;
    }
  }
}
