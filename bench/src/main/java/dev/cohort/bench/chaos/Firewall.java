package dev.cohort.bench.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Network partitions between node processes that all run on loopback, with the kernel firewall.
 * Artery's outbound connections do not bind the node's own address, so rules by source address miss
 * them; instead each node's JVM is put into its own v1 {@code net_cls} cgroup with a class id, and
 * a partition drops, in both directions, TCP from one side's class ids to the other side's remote
 * ports. Gateways and PostgreSQL stay reachable from every node: the dangerous case, a node cut off
 * from its peers that still answers clients.
 *
 * <p>Invariant: every rule lives in one chain of its own ({@value #CHAIN}) jumped to from OUTPUT;
 * {@link #close} removes the jump, the chain and the cgroups, also after a failure.
 */
final class Firewall implements AutoCloseable {
  static final String CHAIN = "COHORT-CHAOS";
  private final Path mount;
  private boolean mounted;

  private Firewall(Path mount) {
    this.mount = mount;
  }

  /** Mounts the net_cls controller and creates an empty chain; needs root and iptables. */
  static Firewall open(Path mount) throws IOException, InterruptedException {
    Files.createDirectories(mount);
    Firewall firewall = new Firewall(mount);
    run("mount", "-t", "cgroup", "-o", "net_cls", "net_cls", mount.toString());
    firewall.mounted = true;
    iptables(false, "-N", CHAIN);
    iptables(true, "-F", CHAIN);
    iptables(true, "-I", "OUTPUT", "1", "-j", CHAIN);
    return firewall;
  }

  /** Whether this machine can partition: root, iptables and the net_cls controller. */
  static String unavailableReason() {
    try {
      if (!"0".equals(output("id", "-u").trim())) {
        return "partitions need root (iptables and a net_cls cgroup)";
      }
      output("iptables", "--version");
      return null;
    } catch (IOException | InterruptedException e) {
      return "iptables is not installed (apt-get install iptables): " + e.getMessage();
    }
  }

  private static int classId(ChaosNode node) {
    return 0x00100001 + node.index();
  }

  /** Puts a (re)started node's JVM into its node's cgroup. */
  void enroll(ChaosNode node) throws IOException {
    Path group = mount.resolve(node.name());
    Files.createDirectories(group);
    Files.writeString(group.resolve("net_cls.classid"), Integer.toString(classId(node)));
    Files.writeString(group.resolve("cgroup.procs"), Long.toString(node.pid()));
  }

  /** Cuts every connection between a node of {@code side} and a node of {@code other}. */
  void partition(Collection<ChaosNode> side, Collection<ChaosNode> other)
      throws IOException, InterruptedException {
    for (ChaosNode a : side) {
      for (ChaosNode b : other) {
        drop(a, b);
        drop(b, a);
      }
    }
  }

  private void drop(ChaosNode from, ChaosNode to) throws IOException, InterruptedException {
    iptables(
        true,
        "-A",
        CHAIN,
        "-m",
        "cgroup",
        "--cgroup",
        Integer.toString(classId(from)),
        "-p",
        "tcp",
        "--dport",
        Integer.toString(to.remotePort()),
        "-j",
        "DROP");
  }

  void heal() throws IOException, InterruptedException {
    iptables(true, "-F", CHAIN);
  }

  @Override
  public void close() throws IOException, InterruptedException {
    iptables(false, "-D", "OUTPUT", "-j", CHAIN);
    iptables(false, "-F", CHAIN);
    iptables(false, "-X", CHAIN);
    if (mounted) {
      try (var groups = Files.list(mount)) {
        for (Path group : groups.filter(Files::isDirectory).toList()) {
          for (String pid : Files.readAllLines(group.resolve("cgroup.procs"))) {
            Files.writeString(mount.resolve("cgroup.procs"), pid);
          }
          Files.delete(group);
        }
      }
      run("umount", mount.toString());
      mounted = false;
    }
  }

  private static void iptables(boolean mustSucceed, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("iptables", "-w"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0 && mustSucceed) {
      throw new IOException(String.join(" ", command) + " failed: " + out);
    }
  }

  private static void run(String... command) throws IOException, InterruptedException {
    String out = output(command);
    if (out == null) {
      throw new IOException(String.join(" ", command) + " failed");
    }
  }

  private static String output(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + out);
    }
    return out;
  }
}
