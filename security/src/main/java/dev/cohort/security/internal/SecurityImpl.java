package dev.cohort.security.internal;

import dev.cohort.persistence.AskFailures;
import dev.cohort.security.Access;
import dev.cohort.security.AuthDecision;
import dev.cohort.security.CheckedPassword;
import dev.cohort.security.Grant;
import dev.cohort.security.IssuedToken;
import dev.cohort.security.Resource;
import dev.cohort.security.Role;
import dev.cohort.security.Security;
import dev.cohort.security.SecurityError;
import dev.cohort.security.SecurityException;
import dev.cohort.security.SecuritySettings;
import dev.cohort.security.UserInfo;
import dev.cohort.security.internal.SecurityState.StoredUser;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The node's {@link Security}: validates at the edge, hashes passwords on the blocking dispatcher,
 * asks the {@link SecurityRegistry} for every change, and answers permission checks from {@link
 * StateCache}, the node's recent copy of the registry's state. A change made through this node
 * updates that copy with the state the registry answered, so its effect is visible here at once.
 */
public final class SecurityImpl implements Security {
  private static final AskFailures.Vocabulary<SecurityException> FAILURES =
      new AskFailures.Vocabulary<>(
          SecurityException.class,
          SecurityException::new,
          SecurityError.TIMEOUT,
          SecurityError.NOT_READY);

  /** Verified against when the user does not exist, so a miss costs as much time as a hit. */
  private final String dummyHash;

  private final SecuritySettings settings;
  private final EntityRef<SecurityRegistry.Command> registry;
  private final Executor blocking;
  private final StateCache cache;
  private final FailedAttempts failedAttempts;

  public SecurityImpl(ActorSystem<?> system, SecuritySettings settings) {
    this.settings = settings;
    this.registry =
        ClusterSharding.get(system)
            .entityRefFor(SecurityRegistry.ENTITY_TYPE_KEY, SecurityRegistry.ENTITY_ID);
    this.blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    this.cache = new StateCache(settings.viewMaxAge(), this::fetch);
    this.failedAttempts =
        new FailedAttempts(
            settings.failedAttemptsMax(), settings.failedAttemptsWindow(), System::nanoTime);
    this.dummyHash = Passwords.hash(Passwords.newToken(), settings.passwordIterations());
  }

  private CompletableFuture<SecurityState> fetch() {
    return ask(SecurityRegistry.GetState::new);
  }

  /** Asks the registry; a refusal or failed ask fails with a {@link SecurityException}. */
  private CompletableFuture<SecurityState> ask(
      Function<ActorRef<SecurityRegistry.Reply>, SecurityRegistry.Command> command) {
    return registry
        .ask(command::apply, settings.askTimeout())
        .toCompletableFuture()
        .exceptionallyCompose(
            failure ->
                CompletableFuture.failedFuture(
                    FAILURES.translate(failure, "the security registry")))
        .thenApply(
            reply ->
                switch (reply) {
                  case SecurityRegistry.Current current -> current.state();
                  case SecurityRegistry.Rejected rejected ->
                      throw SecurityException.of(rejected.rejection());
                });
  }

  /** A change: asks, then makes the answered state this node's copy. */
  private CompletableFuture<SecurityState> change(
      Function<ActorRef<SecurityRegistry.Reply>, SecurityRegistry.Command> command) {
    return ask(command).thenApply(cache::update);
  }

  private static <T> CompletableFuture<T> failed(SecurityError code, String message) {
    return CompletableFuture.failedFuture(code.exception(message));
  }

  private static CompletableFuture<Void> checkName(String what, String name) {
    return Role.validName(name)
        ? CompletableFuture.completedFuture(null)
        : failed(SecurityError.INVALID_NAME, SecurityRegistry.invalidName(what, name));
  }

  private CompletableFuture<String> hashed(String password) {
    if (password == null
        || password.length() < settings.minPasswordLength()
        || password.length() > settings.maxPasswordLength()) {
      return failed(
          SecurityError.INVALID_PASSWORD,
          "a password must have "
              + settings.minPasswordLength()
              + " to "
              + settings.maxPasswordLength()
              + " characters");
    }
    return CompletableFuture.supplyAsync(
        () -> Passwords.hash(password, settings.passwordIterations()), blocking);
  }

  @Override
  public CompletionStage<Boolean> enabled() {
    return cache.fresh().thenApply(SecurityState::enabled);
  }

  /** The registry's own answer, not this node's copy: for the start-up check. */
  public CompletionStage<Boolean> enabledNow() {
    return fetch().thenApply(cache::update).thenApply(SecurityState::enabled);
  }

  @Override
  public CompletionStage<Done> setEnabled(boolean enabled) {
    return change(r -> new SecurityRegistry.SetEnabled(enabled, r)).thenApply(s -> Done.done());
  }

  @Override
  public CompletionStage<UserInfo> addUser(String name, String password, List<String> roles) {
    return checkName("user", name)
        .thenCompose(v -> hashed(password))
        .thenCompose(
            hash -> change(r -> new SecurityRegistry.AddUser(name, hash, List.copyOf(roles), r)))
        .thenApply(s -> s.users().get(name).info());
  }

  @Override
  public CompletionStage<Done> deleteUser(String name) {
    return change(r -> new SecurityRegistry.DeleteUser(name, r)).thenApply(s -> Done.done());
  }

  @Override
  public CompletionStage<Done> changePassword(String name, String password) {
    return hashed(password)
        .thenCompose(hash -> change(r -> new SecurityRegistry.ChangePassword(name, hash, r)))
        .thenApply(s -> Done.done());
  }

  @Override
  public CompletionStage<UserInfo> user(String name) {
    return cache
        .fresh()
        .thenApply(
            s -> {
              StoredUser user = s.users().get(name);
              if (user == null) {
                throw SecurityError.USER_NOT_FOUND.exception("user '" + name + "' does not exist");
              }
              return user.info();
            });
  }

  @Override
  public CompletionStage<List<UserInfo>> users() {
    return cache
        .fresh()
        .thenApply(
            s -> s.users().values().stream().map(StoredUser::info).sorted(byName()).toList());
  }

  private static java.util.Comparator<UserInfo> byName() {
    return java.util.Comparator.comparing(UserInfo::name);
  }

  @Override
  public CompletionStage<UserInfo> grantRole(String user, String role) {
    return change(r -> new SecurityRegistry.GrantRole(user, role, r))
        .thenApply(s -> s.users().get(user).info());
  }

  @Override
  public CompletionStage<UserInfo> revokeRole(String user, String role) {
    return change(r -> new SecurityRegistry.RevokeRole(user, role, r))
        .thenApply(s -> s.users().get(user).info());
  }

  @Override
  public CompletionStage<Role> addRole(String name) {
    return checkName("role", name)
        .thenCompose(v -> change(r -> new SecurityRegistry.AddRole(name, r)))
        .thenApply(s -> s.role(name));
  }

  @Override
  public CompletionStage<Done> deleteRole(String name) {
    return change(r -> new SecurityRegistry.DeleteRole(name, r)).thenApply(s -> Done.done());
  }

  @Override
  public CompletionStage<Role> role(String name) {
    return cache
        .fresh()
        .thenApply(
            s -> {
              Role role = s.role(name);
              if (role == null) {
                throw SecurityError.ROLE_NOT_FOUND.exception("role '" + name + "' does not exist");
              }
              return role;
            });
  }

  @Override
  public CompletionStage<List<Role>> roles() {
    return cache.fresh().thenApply(SecurityState::allRoles);
  }

  @Override
  public CompletionStage<Role> grant(String role, Grant grant) {
    return change(r -> new SecurityRegistry.GrantPermission(role, grant, r))
        .thenApply(s -> s.role(role));
  }

  @Override
  public CompletionStage<Role> revoke(String role, Grant grant) {
    return change(r -> new SecurityRegistry.RevokePermission(role, grant, r))
        .thenApply(s -> s.role(role));
  }

  @Override
  public CompletionStage<IssuedToken> issueToken(
      String user, String password, Optional<Duration> ttl, String source) {
    Duration lifetime = ttl.orElse(settings.tokenTtl());
    if (lifetime.compareTo(Duration.ofSeconds(1)) < 0
        || lifetime.compareTo(settings.maxTokenTtl()) > 0) {
      return failed(
          SecurityError.INVALID_TTL,
          "a token's lifetime must be within 1 s .. " + settings.maxTokenTtl());
    }
    return verified(user, password, source)
        .thenCompose(
            hash -> {
              String token = Passwords.newToken();
              long now = System.currentTimeMillis();
              long expires = now + lifetime.toMillis();
              return change(
                      r ->
                          new SecurityRegistry.IssueToken(
                              user, Passwords.tokenDigest(token), hash, expires, now, r))
                  .thenApply(s -> new IssuedToken(token, user, expires));
            });
  }

  @Override
  public CompletionStage<CheckedPassword> checkPassword(
      String user, String password, String source) {
    return verified(user, password, source)
        .thenApply(hash -> new CheckedPassword(user, Passwords.stamp(hash)));
  }

  /**
   * The stored hash {@code password} matched; fails with {@code too_many_attempts} past the limit
   * (checked before hashing, so a blocked caller costs no hashing) or {@code
   * authentication_failed}, which never says whether the user exists.
   */
  private CompletableFuture<String> verified(String user, String password, String source) {
    String userKey = "user:" + user;
    String sourceKey = "source:" + source;
    if (failedAttempts.blocked(userKey) || failedAttempts.blocked(sourceKey)) {
      return failed(
          SecurityError.TOO_MANY_ATTEMPTS,
          "too many failed attempts; try again after " + settings.failedAttemptsWindow());
    }
    return cache
        .fresh()
        .thenApplyAsync(
            s -> {
              StoredUser stored = user == null ? null : s.users().get(user);
              String hash = stored == null ? dummyHash : stored.passwordHash();
              boolean matches = password != null && Passwords.verify(password, hash);
              if (stored == null || !matches) {
                failedAttempts.failed(userKey);
                failedAttempts.failed(sourceKey);
                throw SecurityError.AUTHENTICATION_FAILED.exception("wrong user name or password");
              }
              failedAttempts.succeeded(userKey);
              return hash;
            },
            blocking);
  }

  @Override
  public CompletionStage<Done> revokeToken(String token) {
    return change(r -> new SecurityRegistry.RevokeToken(Passwords.tokenDigest(token), r))
        .thenApply(s -> Done.done());
  }

  @Override
  public CompletionStage<Done> revokeTokens(String user) {
    return change(r -> new SecurityRegistry.RevokeTokens(user, r)).thenApply(s -> Done.done());
  }

  @Override
  public CompletionStage<AuthDecision> decide(
      Optional<String> token, Access access, List<Resource> resources) {
    return cache
        .fresh()
        .thenApply(
            s -> Permissions.decide(s, token, access, resources, System.currentTimeMillis()));
  }

  @Override
  public CompletionStage<AuthDecision> decideForUser(
      String user, Access access, List<Resource> resources) {
    return cache.fresh().thenApply(s -> Permissions.decideForUser(s, user, access, resources));
  }

  @Override
  public CompletionStage<AuthDecision> decideForSession(
      CheckedPassword session, Access access, List<Resource> resources) {
    return cache
        .fresh()
        .thenApply(s -> Permissions.decideForSession(s, session, access, resources));
  }
}
