package dev.cohort.gateway;

import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.server.RequestContext;
import org.apache.pekko.http.scaladsl.server.RouteResult;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import scala.concurrent.Future;

/**
 * A route built by {@link Endpoints#route} that still knows the endpoints it serves, so that the
 * gateway can tell which method and path templates it answers ({@link ServedEndpoints}) without a
 * second list kept by hand. Routing is the wrapped route's, unchanged.
 */
public final class DeclaredRoute implements Route {
  private final Route route;
  private final List<Endpoint> endpoints;

  DeclaredRoute(Route route, List<Endpoint> endpoints) {
    this.route = route;
    this.endpoints = List.copyOf(endpoints);
  }

  /** The endpoints this route serves, in declaration order. */
  public List<Endpoint> endpoints() {
    return endpoints;
  }

  @Override
  public scala.Function1<RequestContext, Future<RouteResult>> delegate() {
    return route.delegate();
  }

  @Override
  public Flow<HttpRequest, HttpResponse, NotUsed> flow(
      ActorSystem system, Materializer materializer) {
    return route.flow(system, materializer);
  }

  @Override
  public Function<HttpRequest, java.util.concurrent.CompletionStage<HttpResponse>> handler(
      ClassicActorSystemProvider system) {
    return route.handler(system);
  }

  @Override
  public Route seal() {
    return route.seal();
  }

  @Override
  public Route seal(RejectionHandler rejectionHandler, ExceptionHandler exceptionHandler) {
    return route.seal(rejectionHandler, exceptionHandler);
  }

  @Override
  public Route orElse(Route alternative) {
    return route.orElse(alternative);
  }
}
