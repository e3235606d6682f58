package dev.cohort.security.internal;

import dev.cohort.security.Access;
import dev.cohort.security.AuthDecision;
import dev.cohort.security.CheckedPassword;
import dev.cohort.security.Resource;
import dev.cohort.security.Role;
import dev.cohort.security.internal.SecurityState.StoredToken;
import dev.cohort.security.internal.SecurityState.StoredUser;
import java.util.List;
import java.util.Optional;

/**
 * The permission check over one {@link SecurityState}: which user a token authenticates, and
 * whether that user's roles allow an access. Pure functions of the state and the clock value passed
 * in; a user is allowed only what one of its roles grants (deny by default).
 */
final class Permissions {
  private Permissions() {}

  /** The decision for a request with {@code token} at {@code nowMillis}. */
  static AuthDecision decide(
      SecurityState state,
      Optional<String> token,
      Access access,
      List<Resource> resources,
      long nowMillis) {
    if (!state.enabled()) {
      return AuthDecision.allowed("");
    }
    if (token.isEmpty() || token.get().isEmpty()) {
      return AuthDecision.unauthenticated(AuthDecision.MISSING_TOKEN);
    }
    StoredToken stored = state.tokens().get(Passwords.tokenDigest(token.get()));
    if (stored == null || !state.users().containsKey(stored.user())) {
      return AuthDecision.unauthenticated(AuthDecision.INVALID_TOKEN);
    }
    if (stored.expiresAtMillis() <= nowMillis) {
      return AuthDecision.unauthenticated(AuthDecision.EXPIRED_TOKEN);
    }
    return permits(state, stored.user(), access, resources)
        ? AuthDecision.allowed(stored.user())
        : AuthDecision.denied(stored.user());
  }

  /** The decision for a request whose transport authenticated {@code user}. */
  static AuthDecision decideForUser(
      SecurityState state, String user, Access access, List<Resource> resources) {
    if (!state.enabled()) {
      return AuthDecision.allowed("");
    }
    if (!state.users().containsKey(user)) {
      return AuthDecision.unauthenticated(AuthDecision.UNKNOWN_CERTIFICATE_USER);
    }
    return permits(state, user, access, resources)
        ? AuthDecision.allowed(user)
        : AuthDecision.denied(user);
  }

  /**
   * The decision for a request on a session a listener's handshake authenticated: the user must
   * still exist with the password hash the session's password matched.
   */
  static AuthDecision decideForSession(
      SecurityState state, CheckedPassword session, Access access, List<Resource> resources) {
    if (!state.enabled()) {
      return AuthDecision.allowed("");
    }
    StoredUser stored = state.users().get(session.user());
    if (stored == null || !Passwords.stamp(stored.passwordHash()).equals(session.stamp())) {
      return AuthDecision.unauthenticated(AuthDecision.CREDENTIALS_CHANGED);
    }
    return permits(state, session.user(), access, resources)
        ? AuthDecision.allowed(session.user())
        : AuthDecision.denied(session.user());
  }

  /** Whether {@code user} may have {@code access} on every one of {@code resources}. */
  static boolean permits(
      SecurityState state, String user, Access access, List<Resource> resources) {
    StoredUser stored = state.users().get(user);
    if (stored == null) {
      return false;
    }
    for (Resource resource : resources) {
      boolean allowed = false;
      for (String roleName : stored.roles()) {
        Role role = state.role(roleName);
        if (role != null && role.allows(access, resource)) {
          allowed = true;
          break;
        }
      }
      if (!allowed) {
        return false;
      }
    }
    return true;
  }
}
