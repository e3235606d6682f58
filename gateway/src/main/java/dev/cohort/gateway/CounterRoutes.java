package dev.cohort.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.security.Resource;
import dev.cohort.sharding.Counters;
import java.util.List;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /v1/counters/{name}} reads a durable counter; {@code POST /v1/counters/{name}} with
 * {@code {"delta":n}} (default 1) adds to it and answers once the increment is in the journal.
 */
public final class CounterRoutes extends JsonRoutes implements RouteGroup {
  private final Counters counters;

  public CounterRoutes(Counters counters) {
    this.counters = counters;
  }

  @Override
  public List<Endpoint> endpoints() {
    return List.of(
        Endpoint.get(
            "/v1/counters/{name}", Guard.read(p -> Resource.cluster()), p -> read(p.get("name"))),
        Endpoint.post(
            "/v1/counters/{name}", Guard.write(p -> Resource.cluster()), p -> add(p.get("name"))));
  }

  private Route read(String name) {
    return onSuccess(counters.get(name), value -> complete(Json.ok(counter(name, value))));
  }

  private Route add(String name) {
    return body(
        json -> {
          long delta = Json.optionalLong(json, "delta").orElse(1L);
          return onSuccess(
              counters.increment(name, delta), value -> complete(Json.ok(counter(name, value))));
        });
  }

  private static ObjectNode counter(String name, long value) {
    ObjectNode body = Json.object();
    body.put("name", name);
    body.put("value", value);
    return body;
  }
}
