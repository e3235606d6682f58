package dev.cohort.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.security.Access;
import dev.cohort.security.Audit;
import dev.cohort.security.Grant;
import dev.cohort.security.IssuedToken;
import dev.cohort.security.Resource;
import dev.cohort.security.ResourceType;
import dev.cohort.security.Role;
import dev.cohort.security.Security;
import dev.cohort.security.SecurityError;
import dev.cohort.security.SecurityException;
import dev.cohort.security.UserInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Authentication and its administration over HTTP: the token exchange ({@code POST
 * /v1/auth/tokens}, password for bearer token), users, roles and their permissions, and the auth
 * switch ({@code /v1/auth/…}). Administration requires admin on {@code cluster}; every change is
 * audited with who made it. A failed token exchange says only "wrong user name or password", and is
 * audited and counted with its reason.
 */
public final class AuthRoutes extends JsonRoutes implements RouteGroup {
  private static final Guard CLUSTER_ADMIN = Guard.admin(p -> Resource.cluster());

  private final Security security;
  private final Audit audit;

  public AuthRoutes(Security security, Audit audit) {
    this.security = security;
    this.audit = audit;
  }

  @Override
  public List<Endpoint> endpoints() {
    return List.of(
        Endpoint.post(
            "/v1/auth/tokens",
            Guard.open("exchanges a password for a token; rate limited per user and address"),
            p -> body(this::issueToken)),
        Endpoint.delete(
            "/v1/auth/tokens", Guard.authenticated(), p -> withoutFields(this::revokeOwnToken)),
        Endpoint.get(
            "/v1/auth/status", Guard.open("says only whether auth is enabled"), p -> status()),
        Endpoint.post("/v1/auth/enable", CLUSTER_ADMIN, p -> withoutFields(() -> setEnabled(true))),
        Endpoint.post(
            "/v1/auth/disable", CLUSTER_ADMIN, p -> withoutFields(() -> setEnabled(false))),
        Endpoint.get("/v1/auth/users", CLUSTER_ADMIN, p -> users()),
        Endpoint.put(
            "/v1/auth/users/{user}", CLUSTER_ADMIN, p -> body(j -> addUser(p.get("user"), j))),
        Endpoint.get("/v1/auth/users/{user}", CLUSTER_ADMIN, p -> user(p.get("user"))),
        Endpoint.delete("/v1/auth/users/{user}", CLUSTER_ADMIN, p -> deleteUser(p.get("user"))),
        Endpoint.put(
            "/v1/auth/users/{user}/password",
            CLUSTER_ADMIN,
            p -> body(j -> changePassword(p.get("user"), j))),
        Endpoint.post(
            "/v1/auth/users/{user}/roles",
            CLUSTER_ADMIN,
            p -> body(j -> grantRole(p.get("user"), j))),
        Endpoint.delete(
            "/v1/auth/users/{user}/roles/{role}",
            CLUSTER_ADMIN,
            p -> revokeRole(p.get("user"), p.get("role"))),
        Endpoint.delete(
            "/v1/auth/users/{user}/tokens", CLUSTER_ADMIN, p -> revokeTokens(p.get("user"))),
        Endpoint.get("/v1/auth/roles", CLUSTER_ADMIN, p -> roles()),
        Endpoint.put(
            "/v1/auth/roles/{role}",
            CLUSTER_ADMIN,
            p -> withoutFields(() -> addRole(p.get("role")))),
        Endpoint.get("/v1/auth/roles/{role}", CLUSTER_ADMIN, p -> role(p.get("role"))),
        Endpoint.delete("/v1/auth/roles/{role}", CLUSTER_ADMIN, p -> deleteRole(p.get("role"))),
        Endpoint.post(
            "/v1/auth/roles/{role}/grant",
            CLUSTER_ADMIN,
            p -> body(j -> changeGrant(p.get("role"), j, true))),
        Endpoint.post(
            "/v1/auth/roles/{role}/revoke",
            CLUSTER_ADMIN,
            p -> body(j -> changeGrant(p.get("role"), j, false))));
  }

  /**
   * A request that takes no fields: an empty body or {@code {}}; anything else is refused (400)
   * rather than ignored, so that a mistaken body never passes for a request it was not meant for.
   */
  private Route withoutFields(java.util.function.Supplier<Route> inner) {
    return body(
        json -> {
          if (!json.isEmpty()) {
            throw Json.invalid("", "this request takes no fields; send no body or {}");
          }
          return inner.get();
        });
  }

  // Tokens

  private Route issueToken(JsonNode json) {
    String user = Json.text(json, "user");
    String password = Json.text(json, "password");
    Optional<Duration> ttl = Json.optionalLong(json, "ttlSeconds").map(Duration::ofSeconds);
    return extractRequest(
        request -> {
          String source = Authorization.source(request);
          CompletionStage<IssuedToken> issued =
              security
                  .issueToken(user, password, ttl, source)
                  .whenComplete((token, failure) -> auditIssue(user, source, token, failure));
          return onSuccess(
              issued,
              token ->
                  complete(
                      Json.response(
                          StatusCodes.CREATED,
                          Json.object()
                              .put("token", token.token())
                              .put("user", token.user())
                              .put(
                                  "expiresAt",
                                  Instant.ofEpochMilli(token.expiresAtMillis()).toString()))));
        });
  }

  private void auditIssue(String user, String source, IssuedToken token, Throwable failure) {
    if (token != null) {
      audit.authenticated(user, source, Authorization.LISTENER);
      return;
    }
    Throwable cause = dev.cohort.persistence.AskFailures.unwrap(failure);
    if (cause instanceof SecurityException e
        && (e.is(SecurityError.AUTHENTICATION_FAILED) || e.is(SecurityError.TOO_MANY_ATTEMPTS))) {
      audit.passwordRefused(cause, user, source, Authorization.LISTENER, "POST /v1/auth/tokens");
    }
  }

  private Route revokeOwnToken() {
    return extractRequest(
        request ->
            onSuccess(
                security.revokeToken(Authorization.bearer(request).orElse("")),
                done -> changed(request, "revoke_token", "own token", Json.object())));
  }

  private Route status() {
    return onSuccess(security.enabled(), on -> complete(Json.ok(Json.object().put("enabled", on))));
  }

  private Route setEnabled(boolean on) {
    return extractRequest(
        request ->
            onSuccess(
                security.setEnabled(on),
                done ->
                    changed(
                        request,
                        on ? "enable" : "disable",
                        "auth",
                        Json.object().put("enabled", on))));
  }

  /** Audits a change by the request's user and answers {@code body}. */
  private Route changed(HttpRequest request, String action, String what, ObjectNode body) {
    String by = request.getAttribute(Authorization.USER).orElse("");
    audit.change(action, by, Authorization.source(request), Authorization.LISTENER, what);
    return complete(Json.ok(body));
  }

  private <T> Route change(
      CompletionStage<T> stage, String action, String what, Function<T, ObjectNode> body) {
    return extractRequest(
        request -> onSuccess(stage, value -> changed(request, action, what, body.apply(value))));
  }

  // Users

  private Route users() {
    return listed(security.users(), "users", AuthRoutes::user);
  }

  /** {@code {"<field>":[…]}}: the items of {@code all}, each rendered by {@code render}. */
  private <T> Route listed(
      CompletionStage<List<T>> all, String field, Function<T, ObjectNode> render) {
    return onSuccess(
        all,
        items -> {
          ObjectNode body = Json.object();
          ArrayNode list = body.putArray(field);
          items.forEach(item -> list.add(render.apply(item)));
          return complete(Json.ok(body));
        });
  }

  private static ObjectNode user(UserInfo info) {
    ObjectNode node = Json.object().put("name", info.name());
    info.roles().forEach(node.putArray("roles")::add);
    return node;
  }

  private Route addUser(String name, JsonNode json) {
    String password = Json.text(json, "password");
    List<String> roles = new ArrayList<>();
    JsonNode given = json.get("roles");
    if (given != null && !given.isArray()) {
      throw Json.invalid("roles", "must be an array of role names");
    }
    if (given != null) {
      given.forEach(r -> roles.add(r.asText()));
    }
    return change(
        security.addUser(name, password, roles), "add_user", "user " + name, AuthRoutes::user);
  }

  private Route user(String name) {
    return onSuccess(security.user(name), info -> complete(Json.ok(user(info))));
  }

  private Route deleteUser(String name) {
    return change(
        security.deleteUser(name),
        "delete_user",
        "user " + name,
        done -> Json.object().put("deleted", name));
  }

  private Route changePassword(String name, JsonNode json) {
    return change(
        security.changePassword(name, Json.text(json, "password")),
        "change_password",
        "user " + name,
        done -> Json.object().put("user", name));
  }

  private Route grantRole(String name, JsonNode json) {
    String role = Json.text(json, "role");
    return change(
        security.grantRole(name, role),
        "grant_role",
        "user " + name + " role " + role,
        AuthRoutes::user);
  }

  private Route revokeRole(String name, String role) {
    return change(
        security.revokeRole(name, role),
        "revoke_role",
        "user " + name + " role " + role,
        AuthRoutes::user);
  }

  private Route revokeTokens(String name) {
    return change(
        security.revokeTokens(name),
        "revoke_tokens",
        "user " + name,
        done -> Json.object().put("user", name));
  }

  // Roles

  private Route roles() {
    return listed(security.roles(), "roles", AuthRoutes::role);
  }

  private static ObjectNode role(Role role) {
    ObjectNode node = Json.object().put("name", role.name());
    ArrayNode grants = node.putArray("permissions");
    for (Grant grant : role.grants()) {
      grants
          .addObject()
          .put("resource", grant.type().text())
          .put("name", grant.name())
          .put("keyPrefix", grant.keyPrefix())
          .put("access", grant.access().text());
    }
    return node;
  }

  private Route addRole(String name) {
    return change(security.addRole(name), "add_role", "role " + name, AuthRoutes::role);
  }

  private Route role(String name) {
    return onSuccess(security.role(name), r -> complete(Json.ok(role(r))));
  }

  private Route deleteRole(String name) {
    return change(
        security.deleteRole(name),
        "delete_role",
        "role " + name,
        done -> Json.object().put("deleted", name));
  }

  /** {@code {"resource":"kv","name":"default","keyPrefix":"app/","access":"read"}}. */
  private Route changeGrant(String name, JsonNode json, boolean add) {
    Grant grant =
        new Grant(
            ResourceType.parse(Json.text(json, "resource")),
            Json.optionalText(json, "name").orElse(Resource.ALL),
            Json.optionalText(json, "keyPrefix").orElse(""),
            Access.parse(Json.text(json, "access")));
    return change(
        add ? security.grant(name, grant) : security.revoke(name, grant),
        add ? "grant_permission" : "revoke_permission",
        "role " + name + " " + grant,
        AuthRoutes::role);
  }
}
