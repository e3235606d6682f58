package dev.cohort.security;

import java.util.List;
import java.util.Optional;
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
}
