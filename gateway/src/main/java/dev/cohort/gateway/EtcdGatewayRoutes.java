package dev.cohort.gateway;

import dev.cohort.etcd.EtcdJson;
import dev.cohort.security.Resource;
import dev.cohort.security.ResourceType;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.util.ByteString;

/**
 * etcd's gRPC-gateway paths on the HTTP port, so that curl recipes written for etcd work: {@code
 * POST /v3/kv/range}, {@code /v3/kv/put}, {@code /v3/kv/deleterange}, {@code /v3/kv/txn}, {@code
 * /v3/lease/grant}, {@code /v3/lease/revoke}, {@code /v3/lease/timetolive}, {@code
 * /v3/lease/leases} (one JSON request and answer, keys and values base64) and {@code POST
 * /v3/watch} (a stream of JSON lines). Bodies and errors are etcd's ({@code
 * {"error","message","code"}} with the gRPC code), not Cohort's {@code /v1} error shape: these
 * paths speak etcd's protocol.
 */
public final class EtcdGatewayRoutes extends AllDirectives implements RouteGroup {
  private final EtcdJson etcd;

  public EtcdGatewayRoutes(EtcdJson etcd) {
    this.etcd = etcd;
  }

  @Override
  public List<Endpoint> endpoints() {
    return List.of(
        Endpoint.post(
            "/v3/kv/range", Guard.read(p -> Resource.all(ResourceType.KV)), p -> unary("kv/range")),
        Endpoint.post(
            "/v3/kv/put", Guard.write(p -> Resource.all(ResourceType.KV)), p -> unary("kv/put")),
        Endpoint.post(
            "/v3/kv/deleterange",
            Guard.write(p -> Resource.all(ResourceType.KV)),
            p -> unary("kv/deleterange")),
        Endpoint.post(
            "/v3/kv/txn", Guard.write(p -> Resource.all(ResourceType.KV)), p -> unary("kv/txn")),
        Endpoint.post("/v3/lease/grant", Guard.authenticated(), p -> unary("lease/grant")),
        Endpoint.post(
            "/v3/lease/revoke",
            Guard.write(p -> Resource.all(ResourceType.KV)),
            p -> unary("lease/revoke")),
        Endpoint.post(
            "/v3/lease/timetolive", Guard.authenticated(), p -> unary("lease/timetolive")),
        Endpoint.post("/v3/lease/leases", Guard.authenticated(), p -> unary("lease/leases")),
        Endpoint.post("/v3/watch", Guard.read(p -> Resource.all(ResourceType.KV)), p -> watch()));
  }

  private Route unary(String call) {
    return entity(
        org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller.entityToString(),
        body -> onSuccess(etcd.call(call, body), reply -> complete(json(reply))));
  }

  private Route watch() {
    return entity(
        org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller.entityToString(),
        body ->
            etcd.watchRequestError(body)
                .map(reply -> complete(json(reply)))
                .orElseGet(
                    () ->
                        complete(
                            HttpResponse.create()
                                .withEntity(
                                    HttpEntities.createChunked(
                                        ContentTypes.APPLICATION_JSON,
                                        etcd.watch(body).map(ByteString::fromString))))));
  }

  private static HttpResponse json(EtcdJson.Reply reply) {
    return HttpResponse.create()
        .withStatus(StatusCodes.get(reply.status()))
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, reply.json()));
  }
}
