package dev.cohort.gateway;

import dev.cohort.gateway.PathTemplate.PathParams;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Rejection;
import org.apache.pekko.http.javadsl.server.Rejections;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Routes requests to a list of {@link Endpoint}s. The first template (in declaration order) that
 * matches the path wins; the request's method then picks the endpoint, or the request is rejected
 * with the template's methods (405 with {@code Allow}). A path no template matches is rejected
 * without a reason, so the next route class is tried and, when none matches, the answer is 404.
 * The route is named after the template before the method is checked, so a 405 is counted under
 * its route too.
 */
public final class Endpoints extends AllDirectives {
  private final List<Map.Entry<PathTemplate, List<Endpoint>>> byTemplate;

  private Endpoints(List<Endpoint> endpoints) {
    Map<String, Map.Entry<PathTemplate, List<Endpoint>>> grouped = new LinkedHashMap<>();
    for (Endpoint endpoint : endpoints) {
      Map.Entry<PathTemplate, List<Endpoint>> group =
          grouped.computeIfAbsent(
              endpoint.path().text(), t -> Map.entry(endpoint.path(), new ArrayList<>()));
      if (group.getValue().stream().anyMatch(e -> e.method().equals(endpoint.method()))) {
        throw new IllegalArgumentException(
            "endpoint declared twice: " + endpoint.method().name() + " " + endpoint.path());
      }
      group.getValue().add(endpoint);
    }
    this.byTemplate = List.copyOf(grouped.values());
  }

  /** One route for {@code endpoints}; a template may appear once per method. */
  public static Route route(List<Endpoint> endpoints) {
    return new Endpoints(endpoints).route();
  }

  private Route route() {
    return extractUnmatchedPath(
        path -> extractRequest(request -> dispatch(path, request)));
  }

  private Route dispatch(String path, HttpRequest request) {
    for (Map.Entry<PathTemplate, List<Endpoint>> group : byTemplate) {
      Optional<PathParams> params = group.getKey().match(path);
      if (params.isPresent()) {
        return HttpApi.named(
            group.getKey().text(), () -> byMethod(group.getValue(), request, params.get()));
      }
    }
    return reject();
  }

  private Route byMethod(List<Endpoint> endpoints, HttpRequest request, PathParams params) {
    for (Endpoint endpoint : endpoints) {
      if (endpoint.method().equals(request.method())) {
        return endpoint.handler().apply(params);
      }
    }
    Rejection first = Rejections.method(endpoints.getFirst().method());
    Rejection[] rest =
        endpoints.stream().skip(1).map(e -> Rejections.method(e.method())).toArray(Rejection[]::new);
    return reject(first, rest);
  }
}
