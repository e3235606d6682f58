package dev.cohort.gateway;

import dev.cohort.gateway.PathTemplate.PathParams;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * One HTTP endpoint, declared once: its method, its path template (which both matches and names the
 * route) and the handler that gets the template's variables. Route classes list their endpoints and
 * hand them to {@link Endpoints#route}.
 */
public record Endpoint(HttpMethod method, PathTemplate path, Function<PathParams, Route> handler) {

  public static Endpoint get(String template, Function<PathParams, Route> handler) {
    return new Endpoint(HttpMethods.GET, PathTemplate.parse(template), handler);
  }

  public static Endpoint post(String template, Function<PathParams, Route> handler) {
    return new Endpoint(HttpMethods.POST, PathTemplate.parse(template), handler);
  }

  public static Endpoint put(String template, Function<PathParams, Route> handler) {
    return new Endpoint(HttpMethods.PUT, PathTemplate.parse(template), handler);
  }

  public static Endpoint patch(String template, Function<PathParams, Route> handler) {
    return new Endpoint(HttpMethods.PATCH, PathTemplate.parse(template), handler);
  }

  public static Endpoint delete(String template, Function<PathParams, Route> handler) {
    return new Endpoint(HttpMethods.DELETE, PathTemplate.parse(template), handler);
  }
}
