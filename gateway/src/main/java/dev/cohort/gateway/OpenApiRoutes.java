package dev.cohort.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /v1/openapi.json}: the gateway's OpenAPI 3.1 description, every route with its
 * parameters, bodies, answers and errors, plus runnable examples ({@code x-examples}, replayed in
 * document order against a fresh node by the platform's {@code OpenApiTest}). The document is the
 * resource {@code openapi.json}, kept apart from the route classes so that declaring an endpoint
 * stays one line; the test fails when a served endpoint is missing from it or it lists one that is
 * not served.
 */
public final class OpenApiRoutes extends AllDirectives {
  public static final String PATH = "/v1/openapi.json";
  private static final String RESOURCE = "/openapi.json";

  private final byte[] document;

  public OpenApiRoutes() {
    this.document = load();
  }

  /** The document as served. */
  public static byte[] load() {
    try (InputStream in = OpenApiRoutes.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the gateway's jar lacks " + RESOURCE);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }

  public Route route() {
    return Endpoints.route(
        List.of(
            Endpoint.get(
                PATH,
                Guard.open("describes the routes, bodies and errors; holds no data"),
                p ->
                    complete(
                        HttpResponse.create()
                            .withEntity(
                                HttpEntities.create(ContentTypes.APPLICATION_JSON, document))))));
  }
}
