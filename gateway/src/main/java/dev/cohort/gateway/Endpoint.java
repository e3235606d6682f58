package dev.cohort.gateway;

import dev.cohort.gateway.PathTemplate.PathParams;
import java.util.Objects;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * One HTTP endpoint, declared once: its method, its path template (which both matches and names the
 * route), the permission it requires ({@link Guard}, checked before the handler runs) and the
 * handler that gets the template's variables. Route classes list their endpoints and hand them to
 * {@link Endpoints#route}. An endpoint cannot be declared without a guard.
 */
public record Endpoint(
    HttpMethod method, PathTemplate path, Guard guard, Function<PathParams, Route> handler) {

  public Endpoint {
    Objects.requireNonNull(guard, "every endpoint declares the permission it requires");
  }

  public static Endpoint get(String template, Guard guard, Function<PathParams, Route> handler) {
    return new Endpoint(HttpMethods.GET, PathTemplate.parse(template), guard, handler);
  }

  public static Endpoint post(String template, Guard guard, Function<PathParams, Route> handler) {
    return new Endpoint(HttpMethods.POST, PathTemplate.parse(template), guard, handler);
  }

  public static Endpoint put(String template, Guard guard, Function<PathParams, Route> handler) {
    return new Endpoint(HttpMethods.PUT, PathTemplate.parse(template), guard, handler);
  }

  public static Endpoint patch(String template, Guard guard, Function<PathParams, Route> handler) {
    return new Endpoint(HttpMethods.PATCH, PathTemplate.parse(template), guard, handler);
  }

  public static Endpoint delete(String template, Guard guard, Function<PathParams, Route> handler) {
    return new Endpoint(HttpMethods.DELETE, PathTemplate.parse(template), guard, handler);
  }
}
