package dev.cohort.security;

import dev.cohort.security.internal.SecurityImpl;
import dev.cohort.security.internal.SecurityRegistry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the security service on a node, and the start-up rule that guards against running open to
 * the network: a node whose listeners bind a non-loopback address while auth is disabled refuses to
 * start, unless {@code cohort.security.allow-insecure = on}, which it logs.
 */
public final class SecurityService {
  private static final Logger log = LoggerFactory.getLogger(SecurityService.class);

  private SecurityService() {}

  /** Registers the registry entity type and returns the node's API. */
  public static Security start(ActorSystem<?> system) {
    SecuritySettings settings = SecuritySettings.create(system.settings().config());
    SecurityRegistry.init(system, settings);
    return new SecurityImpl(system, settings);
  }

  /**
   * Refuses to go on (an {@link IllegalStateException} naming the setting) when one of {@code
   * hosts} is not a loopback address and auth is not enabled, unless allow-insecure is on.
   */
  public static void checkExposure(ActorSystem<?> system, Security security, List<String> hosts) {
    List<String> exposed = hosts.stream().filter(h -> !loopback(h)).toList();
    if (exposed.isEmpty()) {
      return;
    }
    SecuritySettings settings = SecuritySettings.create(system.settings().config());
    boolean enabled;
    try {
      enabled =
          ((SecurityImpl) security)
              .enabledNow()
              .toCompletableFuture()
              .get(settings.startupCheckTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking whether auth is enabled", e);
    } catch (Exception e) {
      enabled = false;
      if (!settings.allowInsecure()) {
        throw new IllegalStateException(
            "cannot tell whether auth is enabled (" + e + "); refusing to listen on " + exposed, e);
      }
    }
    if (enabled) {
      return;
    }
    if (!settings.allowInsecure()) {
      throw new IllegalStateException(
          "refusing to start: listeners bind non-loopback addresses "
              + exposed
              + " while auth is disabled. Enable auth (./cohort auth enable) on a node bound to "
              + "loopback first, or set cohort.security.allow-insecure = on to run open");
    }
    log.warn(
        "cohort.security.allow-insecure = on: listening on {} with auth disabled; anyone who can "
            + "reach these addresses can read, write and delete everything",
        exposed);
  }

  private static boolean loopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
