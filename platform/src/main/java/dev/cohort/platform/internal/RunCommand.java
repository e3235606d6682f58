package dev.cohort.platform.internal;

import dev.cohort.cluster.Membership;
import dev.cohort.platform.Cohort;
import dev.cohort.platform.CohortConfig;
import dev.cohort.platform.CohortNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * {@code cohort run}: starts one node and keeps it running until SIGTERM or Ctrl-C, which shut it
 * down gracefully (leave the cluster, hand shards off, close the gateway and the journal) and exit
 * with status 0, as does a leave asked for through {@code PUT /v1/cluster/members/{address}}. If
 * the node stops for another reason (for example the split-brain resolver downed it), the process
 * exits with status 1.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Start a Cohort node (a one-node cluster unless --seed is given).")
public final class RunCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

  @Option(names = "--config", description = "HOCON configuration file, e.g. conf/single-node.conf")
  Path config;

  @Option(names = "--data-dir", description = "data directory (default: ./data)")
  Path dataDir;

  @Option(names = "--http-port", description = "HTTP gateway port (default: 8080)")
  Integer httpPort;

  @Option(names = "--etcd-port", description = "etcd v3 gRPC port (default: 2379; 0: off)")
  Integer etcdPort;

  @Option(
      names = "--kafka-port",
      description = "Kafka listener port; 0 turns it off (default: 9092)")
  Integer kafkaPort;

  @Option(names = "--remote-port", description = "cluster remoting port (default: 2552)")
  Integer remotePort;

  @Option(
      names = "--host",
      description = "address for remoting and the gateway (default: 127.0.0.1)")
  String host;

  @Option(names = "--seed", description = "seed node host:port; repeat for several")
  List<String> seeds = new ArrayList<>();

  @Option(names = "--role", description = "cluster role of this node; repeat for several")
  List<String> roles = new ArrayList<>();

  /** True when the arguments start a long-running node, so main must not exit after parsing. */
  public static boolean keepsRunning(String[] args) {
    return args.length > 0
        && args[0].equals("run")
        && !List.of(args).contains("--help")
        && !List.of(args).contains("-h");
  }

  @Override
  public Integer call() {
    CohortConfig.Builder builder = CohortConfig.builder();
    if (config != null) {
      builder.configFile(config);
    }
    if (dataDir != null) {
      builder.dataDir(dataDir);
    }
    if (host != null) {
      builder.host(host);
    }
    if (httpPort != null) {
      builder.httpPort(httpPort);
    }
    if (etcdPort != null) {
      builder.etcdPort(etcdPort);
    }
    if (kafkaPort != null) {
      builder.kafkaPort(kafkaPort);
    }
    if (remotePort != null) {
      builder.remotePort(remotePort);
    }
    seeds.forEach(builder::seed);
    if (!roles.isEmpty()) {
      builder.roles(roles);
    }

    CohortNode node = Cohort.start(builder.build());
    AtomicBoolean stopRequested = new AtomicBoolean();
    Signal.handle(new Signal("TERM"), signal -> stop(node, stopRequested));
    Signal.handle(new Signal("INT"), signal -> stop(node, stopRequested));
    System.out.printf(
        "Cohort node started%n  gateway: http://%s:%d%n  etcd:    %s%n  kafka:   %s%n  data:    %s%n  member:  %s%n",
        node.httpAddress().getHostString(),
        node.httpAddress().getPort(),
        node.etcdAddress().map(a -> a.getHostString() + ":" + a.getPort()).orElse("off"),
        node.kafkaAddress().map(a -> a.getHostString() + ":" + a.getPort()).orElse("off"),
        node.dataDir(),
        node.system().address());
    System.out.flush();
    node.whenTerminated().toCompletableFuture().join();
    if (Membership.leftOnRequest(node.system())) {
      log.info("the node left the cluster as an operator asked; exiting with 0");
      System.exit(0);
    }
    if (!stopRequested.get()) {
      log.error(
          "the node stopped without being asked to: {}; exiting with 1",
          Membership.endReason(node.system()));
      System.exit(1);
    }
    return 0;
  }

  /** Runs on the signal thread: shut down gracefully, then exit 0. */
  private static void stop(CohortNode node, AtomicBoolean stopRequested) {
    if (!stopRequested.compareAndSet(false, true)) {
      return;
    }
    log.info("stop requested; leaving the cluster and shutting down");
    try {
      node.close();
      System.exit(0);
    } catch (RuntimeException e) {
      log.error("graceful shutdown failed", e);
      System.exit(1);
    }
  }
}
