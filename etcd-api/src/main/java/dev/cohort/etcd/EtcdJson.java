package dev.cohort.etcd;

import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.cohort.etcd.internal.EtcdKvService;
import dev.cohort.etcd.internal.EtcdLeaseService;
import dev.cohort.etcd.internal.EtcdStore;
import dev.cohort.etcd.internal.EtcdWatchService;
import dev.cohort.etcd.internal.rpc.LeaseGrantRequest;
import dev.cohort.etcd.internal.rpc.LeaseLeasesRequest;
import dev.cohort.etcd.internal.rpc.LeaseRevokeRequest;
import dev.cohort.etcd.internal.rpc.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.StringReader;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Source;

/**
 * etcd's gRPC-gateway JSON calls ({@code POST /v3/kv/range} and the rest) over the same services as
 * the gRPC listener: the body is the request message in protobuf's JSON mapping (bytes as base64,
 * 64-bit integers as strings or numbers), the answer the response message with etcd's original
 * field names ({@code range_end}, {@code create_revision}) and without default values, as etcd
 * 3.4's gateway prints them. Errors answer {@code {"error","message","code"}} with the gRPC code,
 * as grpc-gateway does. Thread-safe.
 */
public final class EtcdJson {
  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().preservingProtoFieldNames().omittingInsignificantWhitespace();

  /** An answer: the HTTP status and the JSON body. */
  public record Reply(int status, String json) {}

  private final EtcdStore store;
  private final Map<String, Unary> unary;
  private final EtcdWatchService watches;

  private record Unary(
      Message.Builder prototype, BiConsumer<Message, StreamObserver<Message>> call) {}

  @SuppressWarnings({"unchecked", "rawtypes"})
  EtcdJson(EtcdStore store, EtcdKvService kv, EtcdLeaseService leases, EtcdWatchService watches) {
    this.store = store;
    this.watches = watches;
    this.unary =
        Map.of(
            "kv/range",
                new Unary(
                    RangeRequest.newBuilder(),
                    (m, o) -> kv.range((RangeRequest) m, (StreamObserver) o)),
            "kv/put",
                new Unary(
                    PutRequest.newBuilder(), (m, o) -> kv.put((PutRequest) m, (StreamObserver) o)),
            "kv/deleterange",
                new Unary(
                    DeleteRangeRequest.newBuilder(),
                    (m, o) -> kv.deleteRange((DeleteRangeRequest) m, (StreamObserver) o)),
            "kv/txn",
                new Unary(
                    TxnRequest.newBuilder(), (m, o) -> kv.txn((TxnRequest) m, (StreamObserver) o)),
            "lease/grant",
                new Unary(
                    LeaseGrantRequest.newBuilder(),
                    (m, o) -> leases.leaseGrant((LeaseGrantRequest) m, (StreamObserver) o)),
            "lease/revoke",
                new Unary(
                    LeaseRevokeRequest.newBuilder(),
                    (m, o) -> leases.leaseRevoke((LeaseRevokeRequest) m, (StreamObserver) o)),
            "lease/timetolive",
                new Unary(
                    LeaseTimeToLiveRequest.newBuilder(),
                    (m, o) ->
                        leases.leaseTimeToLive((LeaseTimeToLiveRequest) m, (StreamObserver) o)),
            "lease/leases",
                new Unary(
                    LeaseLeasesRequest.newBuilder(),
                    (m, o) -> leases.leaseLeases((LeaseLeasesRequest) m, (StreamObserver) o)));
  }

  /** Runs the unary call at {@code path} (after {@code /v3/}, e.g. {@code kv/put}). */
  public CompletionStage<Reply> call(String path, String body) {
    Unary u = unary.get(path);
    if (u == null) {
      return CompletableFuture.completedFuture(
          error(Status.UNIMPLEMENTED.withDescription("Not Found")));
    }
    Message request;
    try {
      Message.Builder builder = u.prototype().clone();
      parse(body, builder);
      request = builder.build();
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      return CompletableFuture.completedFuture(
          error(Status.INVALID_ARGUMENT.withDescription(e.getMessage())));
    }
    CompletableFuture<Reply> reply = new CompletableFuture<>();
    u.call()
        .accept(
            request,
            new StreamObserver<>() {
              @Override
              public void onNext(Message value) {
                reply.complete(new Reply(200, print(value)));
              }

              @Override
              public void onError(Throwable t) {
                reply.complete(
                    error(
                        t instanceof StatusRuntimeException s
                            ? s.getStatus()
                            : Status.fromThrowable(t)));
              }

              @Override
              public void onCompleted() {}
            });
    return reply;
  }

  /**
   * The error answer for a {@code POST /v3/watch} body that does not parse as a {@code
   * WatchRequest}, or empty when it parses.
   */
  public Optional<Reply> watchRequestError(String body) {
    try {
      parse(body, WatchRequest.newBuilder());
      return Optional.empty();
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      return Optional.of(error(Status.INVALID_ARGUMENT.withDescription(e.getMessage())));
    }
  }

  /**
   * {@code POST /v3/watch}: the body is one {@code WatchRequest} (usually {@code create_request},
   * checked first with {@link #watchRequestError}); the answer is a stream of JSON lines {@code
   * {"result": WatchResponse}} until the client goes away.
   */
  public Source<String, NotUsed> watch(String body) {
    WatchRequest.Builder b = WatchRequest.newBuilder();
    try {
      parse(body, b);
    } catch (InvalidProtocolBufferException e) {
      return Source.failed(e);
    }
    Pair<BoundedSourceQueue<String>, Source<String, NotUsed>> queue =
        Source.<String>queue(store.kvSettings().watchBufferEvents())
            .preMaterialize(store.materializer());
    StreamObserver<WatchRequest> requests =
        watches.watch(
            new StreamObserver<>() {
              @Override
              public void onNext(WatchResponse value) {
                // a client this far behind loses its stream (as kv's watch_overflow), never an
                // event
                if (queue.first().offer("{\"result\":" + print(value) + "}\n")
                    != QueueOfferResult.enqueued()) {
                  queue
                      .first()
                      .fail(
                          new IllegalStateException(
                              "watch_overflow: the client fell more than cohort.kv.watch.buffer-events behind"));
                }
              }

              @Override
              public void onError(Throwable t) {
                queue.first().fail(t);
              }

              @Override
              public void onCompleted() {
                queue.first().complete();
              }
            });
    requests.onNext(b.build());
    return queue
        .second()
        .watchTermination(
            (mat, done) -> {
              done.whenComplete((d, f) -> requests.onCompleted());
              return mat;
            });
  }

  private static String print(Message m) {
    try {
      return PRINTER.print(m);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + m.getDescriptorForType().getFullName(), e);
    }
  }

  /**
   * Merges a request body (blank: the empty message) into {@code builder}. protobuf's JSON parser
   * is lenient (single quotes, {@code NaN}, unquoted names, comments); etcd's gateway reads strict
   * JSON, so the body is checked as strict JSON first and anything else is an invalid argument.
   */
  static void parse(String body, Message.Builder builder) throws InvalidProtocolBufferException {
    String json = body == null || body.isBlank() ? "{}" : body;
    try (JsonReader reader = new JsonReader(new StringReader(json))) {
      reader.skipValue();
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw new InvalidProtocolBufferException("invalid JSON: data after the value");
      }
    } catch (IOException | IllegalStateException e) {
      throw new InvalidProtocolBufferException("invalid JSON: " + e.getMessage());
    }
    PARSER.merge(json, builder);
  }

  private static Reply error(Status status) {
    String message =
        status.getDescription() == null ? status.getCode().name() : status.getDescription();
    return new Reply(
        httpStatus(status.getCode()),
        "{\"error\":"
            + quote(message)
            + ",\"message\":"
            + quote(message)
            + ",\"code\":"
            + status.getCode().value()
            + "}");
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  /** grpc-gateway v1's mapping of gRPC codes to HTTP statuses. */
  private static int httpStatus(Status.Code code) {
    return switch (code) {
      case OK -> 200;
      case CANCELLED -> 408;
      case INVALID_ARGUMENT, OUT_OF_RANGE -> 400;
      case DEADLINE_EXCEEDED -> 504;
      case NOT_FOUND -> 404;
      case ALREADY_EXISTS, ABORTED -> 409;
      case PERMISSION_DENIED -> 403;
      case UNAUTHENTICATED -> 401;
      case RESOURCE_EXHAUSTED -> 429;
      case FAILED_PRECONDITION -> 412;
      case UNIMPLEMENTED -> 501;
      case UNAVAILABLE -> 503;
      default -> 500;
    };
  }
}
