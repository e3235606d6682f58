package dev.cohort.gateway;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The endpoints (method and path template) the gateway of one actor system serves, recorded by
 * {@link Gateway#bind} from the {@link DeclaredRoute}s it binds. Read by the OpenAPI check and by
 * anything else that must cover every route; routes that are not {@link DeclaredRoute}s are not
 * listed. Thread-safe: written once at bind, read afterwards.
 */
public final class ServedEndpoints implements Extension {
  private final List<Endpoint> endpoints = new CopyOnWriteArrayList<>();

  private ServedEndpoints() {}

  public static ServedEndpoints get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** Every endpoint served, in the order the gateway tries them. */
  public List<Endpoint> all() {
    return List.copyOf(endpoints);
  }

  void record(List<Route> routes) {
    List<Endpoint> declared = new ArrayList<>();
    for (Route route : routes) {
      if (route instanceof DeclaredRoute d) {
        declared.addAll(d.endpoints());
      }
    }
    endpoints.addAll(declared);
  }

  private static final class Id extends ExtensionId<ServedEndpoints> {
    static final Id INSTANCE = new Id();

    @Override
    public ServedEndpoints createExtension(ActorSystem<?> system) {
      return new ServedEndpoints();
    }
  }
}
