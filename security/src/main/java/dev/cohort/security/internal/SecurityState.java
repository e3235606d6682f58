package dev.cohort.security.internal;

import dev.cohort.persistence.CohortSerializable;
import dev.cohort.security.Grant;
import dev.cohort.security.Role;
import dev.cohort.security.UserInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Everything the security registry knows, immutable: the auth switch, users with their password
 * hashes and roles, the stored roles (root is built in, never stored), and the live tokens by
 * digest. Every method returns a new state. Invariants: a user's roles exist (root or stored); a
 * token's user exists; expired tokens are dropped whenever a token is issued.
 *
 * @param enabled whether requests must authenticate
 * @param users users by name
 * @param roles stored roles by name
 * @param tokens tokens by the SHA-256 digest of their text
 */
public record SecurityState(
    boolean enabled,
    Map<String, StoredUser> users,
    Map<String, Role> roles,
    Map<String, StoredToken> tokens)
    implements CohortSerializable {

  /** A user: its password hash ({@link Passwords}) and its roles, sorted. */
  public record StoredUser(String name, String passwordHash, List<String> roles)
      implements CohortSerializable {
    UserInfo info() {
      return new UserInfo(name, roles);
    }

    @Override
    public String toString() {
      return "StoredUser[name=" + name + ", roles=" + roles + "]";
    }
  }

  /** A live token: whose, and until when (epoch milliseconds). */
  public record StoredToken(String digest, String user, long expiresAtMillis)
      implements CohortSerializable {
    @Override
    public String toString() {
      return "StoredToken[user=" + user + ", expiresAtMillis=" + expiresAtMillis + "]";
    }
  }

  public static SecurityState empty() {
    return new SecurityState(false, Map.of(), Map.of(), Map.of());
  }

  static final Role ROOT = new Role(Role.ROOT, List.of());

  /** The role named {@code name}, the built-in root included; null when there is none. */
  public Role role(String name) {
    return Role.ROOT.equals(name) ? ROOT : roles.get(name);
  }

  /** Every role, root first, then by name. */
  public List<Role> allRoles() {
    List<Role> all = new ArrayList<>();
    all.add(ROOT);
    all.addAll(new TreeMap<>(roles).values());
    return List.copyOf(all);
  }

  /** Whether some user other than {@code except} holds the root role. */
  boolean rootHolderBesides(String except) {
    return users.values().stream()
        .anyMatch(u -> !u.name().equals(except) && u.roles().contains(Role.ROOT));
  }

  SecurityState withEnabled(boolean on) {
    return new SecurityState(on, users, roles, tokens);
  }

  SecurityState withUser(StoredUser user) {
    TreeMap<String, StoredUser> next = new TreeMap<>(users);
    next.put(user.name(), user);
    return new SecurityState(enabled, Map.copyOf(next), roles, tokens);
  }

  SecurityState withoutUser(String name) {
    TreeMap<String, StoredUser> next = new TreeMap<>(users);
    next.remove(name);
    return new SecurityState(enabled, Map.copyOf(next), roles, tokens).withoutTokensOf(name);
  }

  SecurityState withPassword(String name, String hash) {
    StoredUser user = users.get(name);
    return withUser(new StoredUser(name, hash, user.roles())).withoutTokensOf(name);
  }

  SecurityState withUserRole(String name, String role, boolean add) {
    StoredUser user = users.get(name);
    TreeSet<String> next = new TreeSet<>(user.roles());
    if (add) {
      next.add(role);
    } else {
      next.remove(role);
    }
    return withUser(new StoredUser(name, user.passwordHash(), List.copyOf(next)));
  }

  SecurityState withRole(Role role) {
    TreeMap<String, Role> next = new TreeMap<>(roles);
    next.put(role.name(), role);
    return new SecurityState(enabled, users, Map.copyOf(next), tokens);
  }

  /** Without the role, and without it in any user's roles. */
  SecurityState withoutRole(String name) {
    TreeMap<String, Role> nextRoles = new TreeMap<>(roles);
    nextRoles.remove(name);
    SecurityState next = new SecurityState(enabled, users, Map.copyOf(nextRoles), tokens);
    for (StoredUser user : users.values()) {
      if (user.roles().contains(name)) {
        next = next.withUserRole(user.name(), name, false);
      }
    }
    return next;
  }

  SecurityState withGrant(String roleName, Grant grant, boolean add) {
    Role role = roles.get(roleName);
    List<Grant> grants = new ArrayList<>(role.grants());
    grants.remove(grant);
    if (add) {
      grants.add(grant);
    }
    return withRole(new Role(roleName, grants));
  }

  /** With the token, and without every token expired at {@code nowMillis}. */
  SecurityState withToken(StoredToken token, long nowMillis) {
    TreeMap<String, StoredToken> next = new TreeMap<>();
    tokens.forEach(
        (digest, t) -> {
          if (t.expiresAtMillis() > nowMillis) {
            next.put(digest, t);
          }
        });
    next.put(token.digest(), token);
    return new SecurityState(enabled, users, roles, Map.copyOf(next));
  }

  SecurityState withoutToken(String digest) {
    TreeMap<String, StoredToken> next = new TreeMap<>(tokens);
    next.remove(digest);
    return new SecurityState(enabled, users, roles, Map.copyOf(next));
  }

  SecurityState withoutTokensOf(String user) {
    TreeMap<String, StoredToken> next = new TreeMap<>(tokens);
    next.values().removeIf(t -> t.user().equals(user));
    return new SecurityState(enabled, users, roles, Map.copyOf(next));
  }
}
