package dev.cohort.gateway;

import dev.cohort.persistence.JournalError;
import dev.cohort.persistence.JournalWrites;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpMethod;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Refuses requests that may write (POST, PUT, PATCH, DELETE) to the services' routes with 503
 * {@code journal_write_failed} while the node's embedded journal reports failing writes (a full
 * disk), as etcd refuses writes under its NOSPACE alarm: the writer learns at once that nothing was
 * written, where the write would otherwise stop its entity and time out with an unknown outcome.
 * Reads (GET) pass. The node's own routes (health, cluster management) are not wrapped: an operator
 * must still be able to make a full node leave. Stateless; reads {@link JournalWrites} per request.
 */
public final class JournalWriteGuard extends AllDirectives {
  private static final Set<HttpMethod> WRITES =
      Set.of(HttpMethods.POST, HttpMethods.PUT, HttpMethods.PATCH, HttpMethods.DELETE);

  private final JournalWrites writes;

  public JournalWriteGuard(ActorSystem<?> system) {
    this.writes = JournalWrites.get(system);
  }

  /**
   * {@code routes}, tried in order, behind the guard; the result still declares the endpoints of
   * those that are {@link DeclaredRoute}s, so the gateway knows what it serves.
   */
  public DeclaredRoute guard(List<Route> routes) {
    Route inner = concat(routes.getFirst(), routes.stream().skip(1).toArray(Route[]::new));
    List<Endpoint> endpoints =
        routes.stream()
            .filter(DeclaredRoute.class::isInstance)
            .flatMap(r -> ((DeclaredRoute) r).endpoints().stream())
            .toList();
    return new DeclaredRoute(guarded(inner), endpoints);
  }

  private Route guarded(Route inner) {
    return extractMethod(
        method ->
            WRITES.contains(method)
                ? writes
                    .failure()
                    .map(
                        failure ->
                            complete(
                                Json.error(
                                    JournalError.JOURNAL_WRITE_FAILED,
                                    JournalWrites.describe(failure))))
                    .orElse(inner)
                : inner);
  }
}
