package dev.cohort.gateway;

import dev.cohort.security.Authorizer;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBuilder;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Binds the HTTP gateway: every service's routes and the OpenAPI description ({@link
 * OpenApiRoutes}) inside {@link HttpApi}'s layers, each endpoint's permission checked by {@code
 * authorizer}, recording what it serves in {@link ServedEndpoints}. The binding takes part in
 * coordinated shutdown: it stops accepting, lets in-flight requests finish within {@link
 * GatewaySettings#shutdownDeadline()}, then closes. With {@code cohort.gateway.tls.enabled} it
 * serves HTTPS ({@link HttpsServer}) and keeps each request's TLS session as a request attribute,
 * where {@link ClientCertificate} finds the client's verified certificate.
 */
public final class Gateway {
  private Gateway() {}

  public static CompletionStage<InetSocketAddress> bind(
      ActorSystem<?> system, GatewaySettings settings, Authorizer authorizer, List<Route> routes) {
    List<Route> served = new ArrayList<>(routes);
    served.add(new OpenApiRoutes().route());
    ServedEndpoints.get(system).record(served);
    Route all = new HttpApi(system, settings, authorizer).wrap(served);
    ServerBuilder server = Http.get(system).newServerAt(settings.host(), settings.port());
    if (settings.tls().enabled()) {
      server =
          server
              .enableHttps(HttpsServer.context(settings.tls()))
              .adaptSettings(
                  s ->
                      s.withParserSettings(
                          s.getParserSettings().withIncludeSslSessionAttribute(true)));
    }
    return server
        .bind(all)
        .thenApply(
            binding -> {
              binding.addToCoordinatedShutdown(settings.shutdownDeadline(), system);
              return binding.localAddress();
            });
  }
}
