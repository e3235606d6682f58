package dev.cohort.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/** The base of the services' route classes: directives plus JSON body parsing. */
abstract class JsonRoutes extends AllDirectives {

  /**
   * Parses the body as a JSON object (400 {@code malformed_json} otherwise) for {@code handler}.
   */
  Route body(Function<JsonNode, Route> handler) {
    return entity(Unmarshaller.entityToString(), text -> handler.apply(Json.parseObject(text)));
  }
}
