package dev.cohort.platform;

import static dev.cohort.testkit.Await.join;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cohort.security.Role;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A node whose gateway binds a non-loopback address refuses to start while auth is disabled, starts
 * (with a warning in its log) when {@code cohort.security.allow-insecure = on}, and starts without
 * it once auth was enabled in its data. Skipped where the machine has no non-loopback IPv4 address.
 */
@Tag("integration")
class InsecureBindTest {

  private static Optional<String> nonLoopback() throws SocketException {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!nic.isUp() || nic.isLoopback()) {
        continue;
      }
      for (InetAddress address : Collections.list(nic.getInetAddresses())) {
        if (address instanceof Inet4Address && !address.isLoopbackAddress()) {
          return Optional.of(address.getHostAddress());
        }
      }
    }
    return Optional.empty();
  }

  private static CohortConfig.Builder node(Path dataDir, String httpHost) {
    return CohortConfig.builder()
        .dataDir(dataDir)
        .httpHost(httpHost)
        .httpPort(0)
        .etcdPort(0)
        .kafkaPort(0)
        .remotePort(0)
        .override("cohort.security.password-iterations", 1000);
  }

  @Test
  void exposedWithoutAuthRefusesUnlessAllowedAndStartsOnceAuthIsEnabled() throws Exception {
    Optional<String> host = nonLoopback();
    assumeTrue(host.isPresent(), "no non-loopback IPv4 address on this machine");
    Path dataDir = Files.createTempDirectory("cohort-insecure-bind");

    IllegalStateException refused =
        assertThrows(
            IllegalStateException.class, () -> Cohort.start(node(dataDir, host.get()).build()));
    assertTrue(
        refused.getMessage().contains("cohort.security.allow-insecure"), refused.getMessage());

    try (LogCapture logs = new LogCapture();
        CohortNode open =
            Cohort.start(
                node(dataDir, host.get())
                    .override("cohort.security.allow-insecure", "on")
                    .build())) {
      assertEquals(host.get(), open.httpAddress().getAddress().getHostAddress());
      assertTrue(
          logs.lines().stream().anyMatch(l -> l.contains("allow-insecure = on")),
          "the insecure start is logged");
    }

    try (CohortNode loopback = Cohort.start(node(dataDir, "127.0.0.1").build())) {
      join(
          loopback.security().addUser("root", "root-password-1", List.of(Role.ROOT)),
          Duration.ofSeconds(60));
      join(loopback.security().setEnabled(true));
    }
    try (CohortNode secured = Cohort.start(node(dataDir, host.get()).build())) {
      assertTrue(join(secured.security().enabled()));
    }
  }
}
