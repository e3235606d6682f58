package dev.cohort.security.internal;

import dev.cohort.persistence.CohortSerializable;
import dev.cohort.persistence.Rejection;
import dev.cohort.security.Grant;
import dev.cohort.security.Role;
import dev.cohort.security.SecurityError;
import dev.cohort.security.SecuritySettings;
import dev.cohort.security.internal.SecurityState.StoredToken;
import dev.cohort.security.internal.SecurityState.StoredUser;
import dev.cohort.sharding.EntityTypes;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The cluster's users, roles, tokens and auth switch: one sharded, event-sourced entity (id {@value
 * #ENTITY_ID}), their single writer. It validates every change again (the API checked it first),
 * keeps the root invariants (the root role is built in; while auth is enabled some user holds it),
 * and answers every change with the new state only after the event is persisted, so an acknowledged
 * grant or revocation survives a crash. It never sees a password: callers send hashes.
 */
public final class SecurityRegistry
    extends EventSourcedBehaviorWithEnforcedReplies<
        SecurityRegistry.Command, SecurityRegistry.Event, SecurityState> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY =
      EntityTypeKey.create(Command.class, "security-registry");
  public static final String ENTITY_ID = "security";

  // Command
  public sealed interface Command extends CohortSerializable {}

  public record GetState(ActorRef<Reply> replyTo) implements Command {}

  public record SetEnabled(boolean enabled, ActorRef<Reply> replyTo) implements Command {}

  public record AddUser(
      String name, String passwordHash, List<String> roles, ActorRef<Reply> replyTo)
      implements Command {}

  public record DeleteUser(String name, ActorRef<Reply> replyTo) implements Command {}

  public record ChangePassword(String name, String passwordHash, ActorRef<Reply> replyTo)
      implements Command {}

  public record GrantRole(String user, String role, ActorRef<Reply> replyTo) implements Command {}

  public record RevokeRole(String user, String role, ActorRef<Reply> replyTo) implements Command {}

  public record AddRole(String name, ActorRef<Reply> replyTo) implements Command {}

  public record DeleteRole(String name, ActorRef<Reply> replyTo) implements Command {}

  public record GrantPermission(String role, Grant grant, ActorRef<Reply> replyTo)
      implements Command {}

  public record RevokePermission(String role, Grant grant, ActorRef<Reply> replyTo)
      implements Command {}

  /**
   * Stores a token for {@code user} whose password the caller verified against {@code
   * verifiedHash}; refused when the user is gone or its password changed since.
   */
  public record IssueToken(
      String user,
      String digest,
      String verifiedHash,
      long expiresAtMillis,
      long nowMillis,
      ActorRef<Reply> replyTo)
      implements Command {}

  public record RevokeToken(String digest, ActorRef<Reply> replyTo) implements Command {}

  public record RevokeTokens(String user, ActorRef<Reply> replyTo) implements Command {}

  // Reply
  public sealed interface Reply extends CohortSerializable {}

  /** The state after the command (for a change: after its event was persisted). */
  public record Current(SecurityState state) implements Reply {}

  public record Rejected(Rejection rejection) implements Reply {}

  // Event
  public sealed interface Event extends CohortSerializable {}

  public record AuthSwitched(boolean enabled) implements Event {}

  public record UserAdded(StoredUser user) implements Event {}

  public record UserDeleted(String name) implements Event {}

  public record PasswordChanged(String name, String passwordHash) implements Event {}

  public record UserRoleGranted(String user, String role) implements Event {}

  public record UserRoleRevoked(String user, String role) implements Event {}

  public record RoleAdded(String name) implements Event {}

  public record RoleDeleted(String name) implements Event {}

  public record PermissionGranted(String role, Grant grant) implements Event {}

  public record PermissionRevoked(String role, Grant grant) implements Event {}

  public record TokenIssued(StoredToken token, long atMillis) implements Event {}

  public record TokenRevoked(String digest) implements Event {}

  public record UserTokensRevoked(String user) implements Event {}

  public static void init(ActorSystem<?> system, SecuritySettings settings) {
    EntityTypes.init(
        system, Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), settings)));
  }

  public static Behavior<Command> create(String entityId, SecuritySettings settings) {
    return new SecurityRegistry(entityId, settings);
  }

  private final SecuritySettings settings;

  private SecurityRegistry(String entityId, SecuritySettings settings) {
    super(
        PersistenceId.of(ENTITY_TYPE_KEY.name(), entityId),
        SupervisorStrategy.restartWithBackoff(
            settings.restartBackoffMin(),
            settings.restartBackoffMax(),
            settings.restartBackoffRandomFactor()));
    this.settings = settings;
  }

  @Override
  public SecurityState emptyState() {
    return SecurityState.empty();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), settings.keepSnapshots())
        .withDeleteEventsOnSnapshot();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, SecurityState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(GetState.class, (s, c) -> Effect().reply(c.replyTo(), new Current(s)))
        .onCommand(SetEnabled.class, this::onSetEnabled)
        .onCommand(AddUser.class, this::onAddUser)
        .onCommand(DeleteUser.class, this::onDeleteUser)
        .onCommand(ChangePassword.class, this::onChangePassword)
        .onCommand(GrantRole.class, this::onGrantRole)
        .onCommand(RevokeRole.class, this::onRevokeRole)
        .onCommand(AddRole.class, this::onAddRole)
        .onCommand(DeleteRole.class, this::onDeleteRole)
        .onCommand(GrantPermission.class, this::onGrantPermission)
        .onCommand(RevokePermission.class, this::onRevokePermission)
        .onCommand(IssueToken.class, this::onIssueToken)
        .onCommand(RevokeToken.class, this::onRevokeToken)
        .onCommand(RevokeTokens.class, this::onRevokeTokens)
        .build();
  }

  private ReplyEffect<Event, SecurityState> persist(Event event, ActorRef<Reply> replyTo) {
    return Effect().persist(event).thenReply(replyTo, Current::new);
  }

  private ReplyEffect<Event, SecurityState> reject(
      ActorRef<Reply> replyTo, SecurityError code, String message) {
    return Effect().reply(replyTo, new Rejected(code.rejection(message)));
  }

  private static String noUser(String name) {
    return "user '" + name + "' does not exist";
  }

  private static String noRole(String name) {
    return "role '" + name + "' does not exist";
  }

  private ReplyEffect<Event, SecurityState> onSetEnabled(SecurityState state, SetEnabled c) {
    if (c.enabled() && !state.rootHolderBesides("")) {
      return reject(
          c.replyTo(),
          SecurityError.ROOT_USER_REQUIRED,
          "add a user with the root role before enabling auth");
    }
    return persist(new AuthSwitched(c.enabled()), c.replyTo());
  }

  private ReplyEffect<Event, SecurityState> onAddUser(SecurityState state, AddUser c) {
    if (!Role.validName(c.name())) {
      return reject(c.replyTo(), SecurityError.INVALID_NAME, invalidName("user", c.name()));
    }
    if (state.users().containsKey(c.name())) {
      return reject(c.replyTo(), SecurityError.USER_EXISTS, "user '" + c.name() + "' exists");
    }
    for (String role : c.roles()) {
      if (state.role(role) == null) {
        return reject(c.replyTo(), SecurityError.ROLE_NOT_FOUND, noRole(role));
      }
    }
    List<String> roles = c.roles().stream().distinct().sorted().toList();
    return persist(new UserAdded(new StoredUser(c.name(), c.passwordHash(), roles)), c.replyTo());
  }

  static String invalidName(String what, String name) {
    return what + " name '" + name + "' must match [a-z0-9][a-z0-9._-]{0,63}";
  }

  private ReplyEffect<Event, SecurityState> onDeleteUser(SecurityState state, DeleteUser c) {
    if (!state.users().containsKey(c.name())) {
      return reject(c.replyTo(), SecurityError.USER_NOT_FOUND, noUser(c.name()));
    }
    if (state.enabled() && !state.rootHolderBesides(c.name())) {
      return reject(
          c.replyTo(),
          SecurityError.ROOT_USER_REQUIRED,
          "'" + c.name() + "' is the last user with the root role while auth is enabled");
    }
    return persist(new UserDeleted(c.name()), c.replyTo());
  }

  private ReplyEffect<Event, SecurityState> onChangePassword(
      SecurityState state, ChangePassword c) {
    if (!state.users().containsKey(c.name())) {
      return reject(c.replyTo(), SecurityError.USER_NOT_FOUND, noUser(c.name()));
    }
    return persist(new PasswordChanged(c.name(), c.passwordHash()), c.replyTo());
  }

  private ReplyEffect<Event, SecurityState> onGrantRole(SecurityState state, GrantRole c) {
    if (!state.users().containsKey(c.user())) {
      return reject(c.replyTo(), SecurityError.USER_NOT_FOUND, noUser(c.user()));
    }
    if (state.role(c.role()) == null) {
      return reject(c.replyTo(), SecurityError.ROLE_NOT_FOUND, noRole(c.role()));
    }
    return persist(new UserRoleGranted(c.user(), c.role()), c.replyTo());
  }

  private ReplyEffect<Event, SecurityState> onRevokeRole(SecurityState state, RevokeRole c) {
    StoredUser user = state.users().get(c.user());
    if (user == null) {
      return reject(c.replyTo(), SecurityError.USER_NOT_FOUND, noUser(c.user()));
    }
    if (!user.roles().contains(c.role())) {
      return reject(
          c.replyTo(),
          SecurityError.ROLE_NOT_FOUND,
          "user '" + c.user() + "' does not hold role '" + c.role() + "'");
    }
    if (Role.ROOT.equals(c.role()) && state.enabled() && !state.rootHolderBesides(c.user())) {
      return reject(
          c.replyTo(),
          SecurityError.ROOT_USER_REQUIRED,
          "'" + c.user() + "' is the last user with the root role while auth is enabled");
    }
    return persist(new UserRoleRevoked(c.user(), c.role()), c.replyTo());
  }

  private ReplyEffect<Event, SecurityState> onAddRole(SecurityState state, AddRole c) {
    if (!Role.validName(c.name())) {
      return reject(c.replyTo(), SecurityError.INVALID_NAME, invalidName("role", c.name()));
    }
    if (state.role(c.name()) != null) {
      return reject(c.replyTo(), SecurityError.ROLE_EXISTS, "role '" + c.name() + "' exists");
    }
    return persist(new RoleAdded(c.name()), c.replyTo());
  }

  private ReplyEffect<Event, SecurityState> onDeleteRole(SecurityState state, DeleteRole c) {
    if (Role.ROOT.equals(c.name())) {
      return reject(c.replyTo(), SecurityError.ROOT_ROLE_BUILT_IN, "the root role is built in");
    }
    if (!state.roles().containsKey(c.name())) {
      return reject(c.replyTo(), SecurityError.ROLE_NOT_FOUND, noRole(c.name()));
    }
    return persist(new RoleDeleted(c.name()), c.replyTo());
  }

  private ReplyEffect<Event, SecurityState> onGrantPermission(
      SecurityState state, GrantPermission c) {
    ReplyEffect<Event, SecurityState> refused = checkStoredRole(state, c.role(), c.replyTo());
    return refused != null
        ? refused
        : persist(new PermissionGranted(c.role(), c.grant()), c.replyTo());
  }

  private ReplyEffect<Event, SecurityState> onRevokePermission(
      SecurityState state, RevokePermission c) {
    ReplyEffect<Event, SecurityState> refused = checkStoredRole(state, c.role(), c.replyTo());
    if (refused != null) {
      return refused;
    }
    if (!state.roles().get(c.role()).grants().contains(c.grant())) {
      return reject(
          c.replyTo(),
          SecurityError.INVALID_PERMISSION,
          "role '" + c.role() + "' has no permission " + c.grant());
    }
    return persist(new PermissionRevoked(c.role(), c.grant()), c.replyTo());
  }

  private ReplyEffect<Event, SecurityState> checkStoredRole(
      SecurityState state, String role, ActorRef<Reply> replyTo) {
    if (Role.ROOT.equals(role)) {
      return reject(replyTo, SecurityError.ROOT_ROLE_BUILT_IN, "the root role is built in");
    }
    if (!state.roles().containsKey(role)) {
      return reject(replyTo, SecurityError.ROLE_NOT_FOUND, noRole(role));
    }
    return null;
  }

  private ReplyEffect<Event, SecurityState> onIssueToken(SecurityState state, IssueToken c) {
    StoredUser user = state.users().get(c.user());
    if (user == null || !user.passwordHash().equals(c.verifiedHash())) {
      return reject(
          c.replyTo(), SecurityError.AUTHENTICATION_FAILED, "wrong user name or password");
    }
    StoredToken token = new StoredToken(c.digest(), c.user(), c.expiresAtMillis());
    return persist(new TokenIssued(token, c.nowMillis()), c.replyTo());
  }

  private ReplyEffect<Event, SecurityState> onRevokeToken(SecurityState state, RevokeToken c) {
    if (!state.tokens().containsKey(c.digest())) {
      return Effect().reply(c.replyTo(), new Current(state));
    }
    return persist(new TokenRevoked(c.digest()), c.replyTo());
  }

  private ReplyEffect<Event, SecurityState> onRevokeTokens(SecurityState state, RevokeTokens c) {
    if (!state.users().containsKey(c.user())) {
      return reject(c.replyTo(), SecurityError.USER_NOT_FOUND, noUser(c.user()));
    }
    return persist(new UserTokensRevoked(c.user()), c.replyTo());
  }

  @Override
  public EventHandler<SecurityState, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(AuthSwitched.class, (s, e) -> s.withEnabled(e.enabled()))
        .onEvent(UserAdded.class, (s, e) -> s.withUser(e.user()))
        .onEvent(UserDeleted.class, (s, e) -> s.withoutUser(e.name()))
        .onEvent(PasswordChanged.class, (s, e) -> s.withPassword(e.name(), e.passwordHash()))
        .onEvent(UserRoleGranted.class, (s, e) -> s.withUserRole(e.user(), e.role(), true))
        .onEvent(UserRoleRevoked.class, (s, e) -> s.withUserRole(e.user(), e.role(), false))
        .onEvent(RoleAdded.class, (s, e) -> s.withRole(new Role(e.name(), List.of())))
        .onEvent(RoleDeleted.class, (s, e) -> s.withoutRole(e.name()))
        .onEvent(PermissionGranted.class, (s, e) -> s.withGrant(e.role(), e.grant(), true))
        .onEvent(PermissionRevoked.class, (s, e) -> s.withGrant(e.role(), e.grant(), false))
        .onEvent(TokenIssued.class, (s, e) -> s.withToken(e.token(), e.atMillis()))
        .onEvent(TokenRevoked.class, (s, e) -> s.withoutToken(e.digest()))
        .onEvent(UserTokensRevoked.class, (s, e) -> s.withoutTokensOf(e.user()))
        .build();
  }
}
