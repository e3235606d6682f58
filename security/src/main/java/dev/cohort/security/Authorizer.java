package dev.cohort.security;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The permission check a listener asks for every request: whether a request carrying {@code token}
 * (empty: none) may have {@code access} on every one of {@code resources}. {@link Security} is the
 * real one; a listener depends on this alone.
 */
@FunctionalInterface
public interface Authorizer {
  CompletionStage<AuthDecision> decide(
      Optional<String> token, Access access, List<Resource> resources);

  /**
   * Whether a request whose transport authenticated {@code user} may have {@code access} on every
   * one of {@code resources}: the gateway's verified client certificate, whose subject CN names the
   * user. Allowed without a user while auth is disabled; a name that is no user is unauthenticated
   * ({@link AuthDecision#UNKNOWN_CERTIFICATE_USER}). This default refuses every such request, for
   * authorizers that know no users.
   */
  default CompletionStage<AuthDecision> decideForUser(
      String user, Access access, List<Resource> resources) {
    return CompletableFuture.completedFuture(
        AuthDecision.unauthenticated(AuthDecision.UNKNOWN_CERTIFICATE_USER));
  }
}
