package dev.cohort.security;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * The security service's embedded API: users, roles and their grants, bearer tokens, the auth
 * switch, and the one permission check every listener (HTTP, Kafka, etcd) asks. Every change is
 * acknowledged only after the cluster's registry persisted it. The embedded API itself is not
 * checked: code that holds a node runs as the embedding application, with full rights.
 *
 * <p>Failures are {@link SecurityException}s with a code from {@link SecurityError}. Passwords are
 * hashed (PBKDF2-HMAC-SHA256, salted) on the node that receives them; tokens are stored as SHA-256
 * digests. Neither a password nor a token is ever logged or returned after it was issued.
 */
public interface Security extends Authorizer {

  /** Whether requests must authenticate. */
  CompletionStage<Boolean> enabled();

  /** Turns auth on or off. Turning it on requires a user holding the built-in {@code root} role. */
  CompletionStage<Done> setEnabled(boolean enabled);

  /** Adds a user with {@code password} and {@code roles} (which must exist). */
  CompletionStage<UserInfo> addUser(String name, String password, List<String> roles);

  /** Deletes a user and revokes its tokens. */
  CompletionStage<Done> deleteUser(String name);

  /** Changes a user's password and revokes its tokens. */
  CompletionStage<Done> changePassword(String name, String password);

  CompletionStage<UserInfo> user(String name);

  CompletionStage<List<UserInfo>> users();

  /** Gives {@code user} the role {@code role}. */
  CompletionStage<UserInfo> grantRole(String user, String role);

  /** Takes {@code role} from {@code user}. */
  CompletionStage<UserInfo> revokeRole(String user, String role);

  /** Adds an empty role. */
  CompletionStage<Role> addRole(String name);

  /** Deletes a role; users that held it lose it. */
  CompletionStage<Done> deleteRole(String name);

  CompletionStage<Role> role(String name);

  /** Every role, the built-in {@code root} first. */
  CompletionStage<List<Role>> roles();

  /** Adds {@code grant} to {@code role} (granting it twice changes nothing). */
  CompletionStage<Role> grant(String role, Grant grant);

  /** Removes {@code grant} from {@code role}. */
  CompletionStage<Role> revoke(String role, Grant grant);

  /**
   * Checks {@code password} and issues a token that expires after {@code ttl} (empty: {@code
   * cohort.security.token-ttl}). Failed attempts are counted per user and per {@code source}
   * address; past the limit the answer is {@code too_many_attempts}.
   */
  CompletionStage<IssuedToken> issueToken(
      String user, String password, Optional<Duration> ttl, String source);

  /**
   * Checks a user's password without issuing a token, for a listener's own handshake (Kafka's
   * SASL/PLAIN); the answer is what {@link #decideForSession} checks that session's requests with.
   */
  CompletionStage<CheckedPassword> checkPassword(String user, String password, String source);

  /** Revokes one token; unknown tokens are ignored. */
  CompletionStage<Done> revokeToken(String token);

  /** Revokes every token of {@code user}. */
  CompletionStage<Done> revokeTokens(String user);

  /**
   * Whether a request with {@code token} (empty: none) may have {@code access} on every one of
   * {@code resources}. Allowed without a token while auth is disabled. Refusals are counted and
   * audited by the caller ({@link Audit}), which knows the request.
   */
  @Override
  CompletionStage<AuthDecision> decide(
      Optional<String> token, Access access, List<Resource> resources);

  /**
   * Whether a request on a session that a listener's own handshake authenticated ({@code session},
   * from {@link #checkPassword}) may have {@code access} on every one of {@code resources} now:
   * allowed for anyone while auth is disabled; unauthenticated ({@link
   * AuthDecision#CREDENTIALS_CHANGED}) once the user was deleted or its password changed since the
   * check; denied when its roles do not allow it.
   */
  CompletionStage<AuthDecision> decideForSession(
      CheckedPassword session, Access access, List<Resource> resources);
}
