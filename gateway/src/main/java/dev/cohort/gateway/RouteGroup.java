package dev.cohort.gateway;

import java.util.List;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * A route class of the gateway: the endpoints it declares, each once, and the route that serves
 * them. That route is a {@link DeclaredRoute}, so {@link Gateway#bind} records the endpoints in
 * {@link ServedEndpoints}, which tools enumerate (the OpenAPI check, the HTTP fuzz run): a new
 * endpoint is covered as soon as it is declared.
 */
public interface RouteGroup {

  /** Every endpoint of this group, in matching order. */
  List<Endpoint> endpoints();

  /** The route serving {@link #endpoints()}. */
  default Route route() {
    return Endpoints.route(endpoints());
  }
}
