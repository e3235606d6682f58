package dev.cohort.gateway;

import dev.cohort.security.Authorizer;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Binds the HTTP gateway: every service's routes and the OpenAPI description ({@link
 * OpenApiRoutes}) inside {@link HttpApi}'s layers, each endpoint's permission checked by {@code
 * authorizer}, recording what it serves in {@link ServedEndpoints}. The binding takes part in
 * coordinated shutdown: it stops accepting, lets in-flight requests finish within {@link
 * GatewaySettings#shutdownDeadline()}, then closes.
 */
public final class Gateway {
  private Gateway() {}

  public static CompletionStage<InetSocketAddress> bind(
      ActorSystem<?> system, GatewaySettings settings, Authorizer authorizer, List<Route> routes) {
    List<Route> served = new ArrayList<>(routes);
    served.add(new OpenApiRoutes().route());
    ServedEndpoints.get(system).record(served);
    Route all = new HttpApi(system, settings, authorizer).wrap(served);
    return Http.get(system)
        .newServerAt(settings.host(), settings.port())
        .bind(all)
        .thenApply(
            binding -> {
              binding.addToCoordinatedShutdown(settings.shutdownDeadline(), system);
              return binding.localAddress();
            });
  }
}
