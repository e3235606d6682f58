package dev.cohort.gateway;

import dev.cohort.gateway.PathTemplate.PathParams;
import dev.cohort.security.Access;
import dev.cohort.security.Resource;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The permission an {@link Endpoint} requires, part of its declaration so that no route can be
 * served without one. Either {@link Open} (health, metrics, the token exchange: reachable without
 * credentials, with the reason written down) or {@link Check}: an access level on the resources the
 * request touches, computed from the path's variables and the query only (never from the body or
 * the stored state), so that the check runs before the handler and a refusal cannot reveal whether
 * the resource exists.
 */
public sealed interface Guard {

  /** Reachable without credentials; {@code why} says why that is safe. */
  record Open(String why) implements Guard {}

  /** Requires {@code access} on every resource {@code resources} names for a request. */
  record Check(Access access, BiFunction<PathParams, Map<String, String>, List<Resource>> resources)
      implements Guard {}

  static Guard open(String why) {
    return new Open(why);
  }

  /** Any authenticated user (while auth is enabled), whatever its roles. */
  static Guard authenticated() {
    return new Check(Access.READ, (p, query) -> List.of());
  }

  static Guard read(Function<PathParams, Resource> resource) {
    return of(Access.READ, resource);
  }

  static Guard write(Function<PathParams, Resource> resource) {
    return of(Access.WRITE, resource);
  }

  static Guard admin(Function<PathParams, Resource> resource) {
    return of(Access.ADMIN, resource);
  }

  static Guard of(Access access, Function<PathParams, Resource> resource) {
    return new Check(access, (p, query) -> List.of(resource.apply(p)));
  }

  /** A guard whose resources also depend on the query (a range's {@code prefix}). */
  static Guard withQuery(
      Access access, BiFunction<PathParams, Map<String, String>, List<Resource>> resources) {
    return new Check(access, resources);
  }
}
