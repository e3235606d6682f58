package dev.cohort.gateway;

import dev.cohort.gateway.PathTemplate.PathParams;
import dev.cohort.security.Audit;
import dev.cohort.security.AuthDecision;
import dev.cohort.security.Authorizer;
import dev.cohort.security.PermissionWatch;
import dev.cohort.security.Resource;
import dev.cohort.security.SecurityError;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.AttributeKey;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.server.RouteResult;
import org.apache.pekko.http.javadsl.server.RouteResults;

/**
 * The gateway's permission check, run for every matched endpoint before its handler: the request's
 * bearer token (or, without one, the user its verified client certificate names) and the resources
 * its {@link Guard} names go to the {@link Authorizer}; a refusal is 401 (with {@code
 * WWW-Authenticate}) or 403, audited and counted, and never depends on whether the resource exists.
 * An allowed request that stays open is watched by a {@link PermissionWatch}: a streaming response
 * (SSE watch, observer) ends through {@link StreamCutoff}, a read still waiting for its answer (a
 * long poll) is answered 401 or 403, when the token is revoked or expires or its permission goes.
 *
 * <p>One instance per gateway, put on each request as an attribute by {@link HttpApi}; a request
 * without it (a route served outside {@link HttpApi}) is refused, never let through. Thread-safe.
 */
final class Authorization extends AllDirectives {
  static final AttributeKey<Authorization> KEY =
      AttributeKey.create("cohort-authorization", Authorization.class);

  /** The authenticated user of an allowed request (empty while auth is disabled). */
  static final AttributeKey<String> USER = AttributeKey.create("cohort-user", String.class);

  static final String LISTENER = "http";

  private final Authorizer authorizer;
  private final Audit audit;
  private final String realm;
  private final Duration streamCheckInterval;

  Authorization(Authorizer authorizer, Audit audit, String realm, Duration streamCheckInterval) {
    this.authorizer = authorizer;
    this.audit = audit;
    this.realm = realm;
    this.streamCheckInterval = streamCheckInterval;
  }

  /** Runs {@code inner} when {@code guard} allows the request; otherwise answers 401 or 403. */
  static Route check(String template, Guard guard, PathParams params, Supplier<Route> inner) {
    if (guard instanceof Guard.Open) {
      return inner.get();
    }
    Guard.Check check = (Guard.Check) guard;
    return new AllDirectives() {}.extractRequest(
        request ->
            request
                .getAttribute(KEY)
                .map(auth -> auth.decide(request, template, check, params, inner))
                .orElseThrow(
                    () -> new IllegalStateException("a guarded route is served outside HttpApi")));
  }

  private Route decide(
      HttpRequest request,
      String template,
      Guard.Check check,
      PathParams params,
      Supplier<Route> inner) {
    Map<String, String> query = request.getUri().query().toMap();
    List<Resource> resources = check.resources().apply(params, query);
    Supplier<CompletionStage<AuthDecision>> ask = credentials(request, check, resources);
    Supplier<String> what =
        () ->
            request.method().name()
                + " "
                + template
                + " "
                + check.access().text()
                + " "
                + resources;
    return onSuccess(
        ask.get(),
        decision ->
            decision.allowed()
                ? mapRequest(
                    r -> r.addAttribute(USER, decision.user()),
                    () ->
                        decision.user().isEmpty()
                            ? inner.get()
                            : watched(request, what, ask, inner))
                : complete(refusal(decision, request, what)));
  }

  /**
   * An allowed request of an authenticated user, watched while it stays open: a streaming body
   * through {@link StreamCutoff}; a GET that is still waiting for its answer (a long poll: a fetch
   * with {@code maxWaitMs}, a group member's fetch) is answered 401 or 403 instead, as it would
   * have been had it come in now. Only reads are cut while waiting: a write that waits (a lock, a
   * campaign) may already have taken effect, and its answer must say so.
   */
  private Route watched(
      HttpRequest request,
      Supplier<String> what,
      Supplier<CompletionStage<AuthDecision>> ask,
      Supplier<Route> inner) {
    Supplier<Route> streamed =
        () ->
            mapResponse(response -> StreamCutoff.apply(response, streamCheckInterval, ask), inner);
    if (!request.method().equals(HttpMethods.GET)) {
      return streamed.get();
    }
    return mapRouteResultFuture(
        result -> {
          PermissionWatch watch = PermissionWatch.start(streamCheckInterval, ask);
          CompletableFuture<RouteResult> answer = new CompletableFuture<>();
          result.whenComplete(
              (r, failure) -> {
                watch.stop();
                if (failure != null) {
                  answer.completeExceptionally(failure);
                } else {
                  answer.complete(r);
                }
              });
          watch
              .refused()
              .thenAccept(
                  decision ->
                      answer.complete(RouteResults.complete(refusal(decision, request, what))));
          return answer;
        },
        streamed);
  }

  /** The answer to a refused request, audited: 401 with the challenge, or 403. */
  private HttpResponse refusal(AuthDecision decision, HttpRequest request, Supplier<String> what) {
    if (decision.outcome() == AuthDecision.Outcome.DENIED) {
      audit.denied(decision.user(), source(request), LISTENER, what.get());
      return Json.error(
          SecurityError.PERMISSION_DENIED,
          "user '" + decision.user() + "' is not permitted to do this");
    }
    audit.authFailure(decision.reason(), "", source(request), LISTENER, what.get());
    return unauthenticated(decision.reason());
  }

  /**
   * How the request is checked: by its bearer token when it has one, else by the user its verified
   * client certificate names (CN, {@link ClientCertificate}), else as a request without
   * credentials. A token wins so that a client holding a certificate can still act as another user
   * explicitly.
   */
  private Supplier<CompletionStage<AuthDecision>> credentials(
      HttpRequest request, Guard.Check check, List<Resource> resources) {
    Optional<String> token = bearer(request);
    Optional<String> certificateUser =
        token.isPresent() ? Optional.empty() : ClientCertificate.commonName(request);
    return certificateUser
        .<Supplier<CompletionStage<AuthDecision>>>map(
            user -> () -> authorizer.decideForUser(user, check.access(), resources))
        .orElse(() -> authorizer.decide(token, check.access(), resources));
  }

  /** 401 with the challenge; the message says what to send, never what was wrong with a token. */
  HttpResponse unauthenticated(String reason) {
    String challenge =
        AuthDecision.MISSING_TOKEN.equals(reason)
                || AuthDecision.UNKNOWN_CERTIFICATE_USER.equals(reason)
            ? "Bearer realm=\"" + realm + "\""
            : "Bearer realm=\"" + realm + "\", error=\"invalid_token\"";
    return Json.error(
            SecurityError.UNAUTHENTICATED,
            switch (reason) {
              case AuthDecision.MISSING_TOKEN ->
                  "authentication required: send Authorization: Bearer <token> (POST /v1/auth/tokens)";
              case AuthDecision.UNKNOWN_CERTIFICATE_USER ->
                  "the client certificate names no user; send Authorization: Bearer <token>";
              default ->
                  "the token is invalid, expired or revoked; get a new one (POST /v1/auth/tokens)";
            })
        .addHeader(RawHeader.create("WWW-Authenticate", challenge));
  }

  Audit audit() {
    return audit;
  }

  /** The token of an {@code Authorization: Bearer} header. */
  static Optional<String> bearer(HttpRequest request) {
    return request
        .getHeader("Authorization")
        .map(h -> h.value().trim())
        .filter(v -> v.regionMatches(true, 0, "Bearer ", 0, 7))
        .map(v -> v.substring(7).trim());
  }

  /** The peer's IP address, for rate limiting and audit lines. */
  static String source(HttpRequest request) {
    return request
        .getAttribute(AttributeKeys.remoteAddress)
        .flatMap(a -> a.getAddress())
        .map(a -> a.getHostAddress())
        .orElse("unknown");
  }
}
