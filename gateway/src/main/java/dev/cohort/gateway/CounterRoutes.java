package dev.cohort.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.sharding.Counters;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * {@code GET /v1/counters/{name}} reads a durable counter; {@code POST /v1/counters/{name}} with
 * {@code {"delta":n}} (default 1) adds to it and answers once the increment is in the journal.
 */
public final class CounterRoutes extends AllDirectives {
  private final Counters counters;

  public CounterRoutes(Counters counters) {
    this.counters = counters;
  }

  public Route route() {
    return pathPrefix(
        "v1",
        () ->
            pathPrefix(
                "counters",
                () ->
                    path(
                        PathMatchers.segment(),
                        name ->
                            HttpApi.named(
                                "/v1/counters/{name}",
                                () -> concat(get(() -> read(name)), post(() -> add(name)))))));
  }

  private Route read(String name) {
    return onSuccess(counters.get(name), value -> complete(Json.ok(body(name, value))));
  }

  private Route add(String name) {
    return entity(
        Unmarshaller.entityToString(),
        text -> {
          long delta = Json.optionalLong(Json.parseObject(text), "delta").orElse(1L);
          return onSuccess(
              counters.increment(name, delta), value -> complete(Json.ok(body(name, value))));
        });
  }

  private static ObjectNode body(String name, long value) {
    ObjectNode body = Json.object();
    body.put("name", name);
    body.put("value", value);
    return body;
  }
}
