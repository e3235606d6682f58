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
 * Routes requests to a list of {@link Endpoint}s: the first endpoint (in declaration order) whose
 * template matches the path and whose method is the request's wins, as Pekko's {@code concat} tries
 * alternatives. When templates match but none with this method, the request is rejected with their
 * methods (405 with {@code Allow}), counted under the first matching template. A path no template
 * matches is rejected without a reason, so the next route class is tried and, when none matches,
 * the answer is 404. A matched endpoint's {@link Guard} is checked ({@link Authorization}) before
 * its handler runs.
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

  /**
   * One route for {@code endpoints}; a template may appear once per method. The route lists its
   * endpoints ({@link DeclaredRoute}) for {@link ServedEndpoints}.
   */
  public static DeclaredRoute route(List<Endpoint> endpoints) {
    return new DeclaredRoute(new Endpoints(endpoints).route(), endpoints);
  }

  private Route route() {
    return extractUnmatchedPath(path -> extractRequest(request -> dispatch(path, request)));
  }

  private Route dispatch(String path, HttpRequest request) {
    String firstMatched = null;
    List<Rejection> wrongMethod = new ArrayList<>();
    for (Map.Entry<PathTemplate, List<Endpoint>> group : byTemplate) {
      Optional<PathParams> params = group.getKey().match(path);
      if (params.isEmpty()) {
        continue;
      }
      for (Endpoint endpoint : group.getValue()) {
        if (endpoint.method().equals(request.method())) {
          String template = group.getKey().text();
          return HttpApi.named(
              template,
              () ->
                  Authorization.check(
                      template,
                      endpoint.guard(),
                      params.get(),
                      () -> endpoint.handler().apply(params.get())));
        }
        wrongMethod.add(Rejections.method(endpoint.method()));
      }
      if (firstMatched == null) {
        firstMatched = group.getKey().text();
      }
    }
    if (firstMatched == null) {
      return reject();
    }
    Rejection[] rest = wrongMethod.subList(1, wrongMethod.size()).toArray(Rejection[]::new);
    return HttpApi.named(firstMatched, () -> reject(wrongMethod.getFirst(), rest));
  }
}
