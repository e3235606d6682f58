package dev.cohort.kafka.internal;

import dev.cohort.kafka.KafkaSettings;
import dev.cohort.log.StreamLog;
import dev.cohort.persistence.AskFailures;
import dev.cohort.security.Access;
import dev.cohort.security.Audit;
import dev.cohort.security.AuthDecision;
import dev.cohort.security.CheckedPassword;
import dev.cohort.security.Resource;
import dev.cohort.security.Security;
import dev.cohort.security.SecuritySettings;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.message.*;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes one request frame with kafka-clients' generated classes, routes it to the handler of its
 * API and encodes the answer. A request for an API or version not in {@link SupportedApis} gets
 * UNSUPPORTED_VERSION in the shape of its API's response; a frame whose header or body does not
 * parse closes the connection, as Kafka does. Handler failures become the API's error response;
 * nothing a request does affects another connection.
 */
public final class KafkaApis {
  private static final Logger log = LoggerFactory.getLogger(KafkaApis.class);

  /** What a connection does with a request: send bytes, send nothing (acks=0), or close. */
  sealed interface Outcome {
    record Send(ByteBuffer bytes) implements Outcome {}

    record None() implements Outcome {}

    record Close(String reason) implements Outcome {}
  }

  private final Duration answerTimeout;
  private final MetadataApi metadata;
  private final ProduceApi produce;
  private final FetchApi fetch;
  private final GroupMembershipApi membership;
  private final GroupOffsetsApi groupOffsets;
  private final TopicAdminApi admin;
  private final Security security;
  private final Audit audit;
  private final SaslApi sasl;

  /** A request on a connection that did not authenticate while auth is enabled. */
  private static final class Unauthenticated extends RuntimeException {
    Unauthenticated(String message) {
      super(message, null, false, false);
    }
  }

  public KafkaApis(
      ActorSystem<?> system, KafkaSettings settings, StreamLog log, Security security) {
    BrokerIdentity self = BrokerIdentity.of(system, settings);
    Duration askTimeout = system.settings().config().getDuration("cohort.log.ask-timeout");
    this.answerTimeout = askTimeout.multipliedBy(3).plus(settings.maxFetchWait());
    ClusterBrokers brokers = new ClusterBrokers(system, self);
    Leadership leadership =
        new Leadership(
            log, brokers, system.settings().config().getDuration("cohort.log.metadata-max-age"));
    this.metadata = new MetadataApi(log, brokers, leadership);
    this.produce = new ProduceApi(log, leadership);
    this.fetch = new FetchApi(log, settings, leadership);
    MemberViews views = new MemberViews();
    this.membership = new GroupMembershipApi(log, views);
    this.groupOffsets = new GroupOffsetsApi(log, views);
    this.admin = new TopicAdminApi(log, topicDefaults(system.settings().config()));
    this.security = security;
    this.audit = Audit.create(system);
    this.sasl =
        new SaslApi(
            security,
            audit,
            SecuritySettings.create(system.settings().config()).kafkaSessionLifetime());
  }

  private static Map<String, String> topicDefaults(com.typesafe.config.Config config) {
    Map<String, String> defaults = new TreeMap<>();
    config
        .getConfig("cohort.log.topic-defaults")
        .entrySet()
        .forEach(e -> defaults.put(e.getKey(), String.valueOf(e.getValue().unwrapped())));
    return defaults;
  }

  /**
   * Decodes and starts one request; the answer completes when the stream-log answered (or after the
   * answer timeout, as the API's error response). Decoding happens on the caller's thread, so
   * requests of one connection reach the stream-log in the order they arrived.
   */
  CompletableFuture<Outcome> handle(
      ByteBuffer frame, InetSocketAddress client, KafkaSession session) {
    RequestHeader header;
    try {
      header = RequestHeader.parse(frame);
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(unparsableHeader(frame, e));
    }
    ApiKeys key = header.apiKey();
    short version = header.apiVersion();
    AbstractRequest request;
    try {
      request = AbstractRequest.parseRequest(key, version, new ByteBufferAccessor(frame)).request;
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(
          new Outcome.Close("malformed " + key + " v" + version + " request: " + e.getMessage()));
    }
    if (!SupportedApis.supports(key, version)) {
      ApiMessage unsupported =
          key == ApiKeys.API_VERSIONS
              ? SupportedApis.apiVersions(Errors.UNSUPPORTED_VERSION)
              : request.getErrorResponse(0, Errors.UNSUPPORTED_VERSION.exception()).data();
      return CompletableFuture.completedFuture(encode(header, unsupported, client));
    }
    CompletableFuture<? extends ApiMessage> answer =
        session.inOrder(() -> authorized(header, request, session));
    return answer
        .orTimeout(answerTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle(
            (response, failure) -> {
              if (failure == null) {
                return encode(header, response, client);
              }
              if (AskFailures.unwrap(failure) instanceof Unauthenticated refused) {
                return new Outcome.Close(refused.getMessage());
              }
              log.debug("{} v{} from {} failed", key, version, client, failure);
              Errors error = KafkaErrors.of(failure);
              return encode(
                  header,
                  request.getErrorResponse(0, error.exception(KafkaErrors.message(failure))).data(),
                  client);
            });
  }

  private static Outcome encode(
      RequestHeader header, ApiMessage response, InetSocketAddress client) {
    if (response == null) {
      return new Outcome.None();
    }
    try {
      return new Outcome.Send(serialize(header, response));
    } catch (RuntimeException e) {
      log.error(
          "cannot encode the {} v{} answer for {}",
          header.apiKey(),
          header.apiVersion(),
          client,
          e);
      return new Outcome.Close("the answer could not be encoded: " + e.getMessage());
    }
  }

  private static ByteBuffer serialize(RequestHeader header, ApiMessage response) {
    short version = header.apiVersion();
    ResponseHeader responseHeader = header.toResponseHeader();
    return RequestUtils.serialize(
        responseHeader.data(), responseHeader.headerVersion(), response, version);
  }

  /**
   * An ApiVersions request of a version kafka-clients does not know (a newer client) gets a
   * version-0 answer with UNSUPPORTED_VERSION and the supported ranges, as Kafka answers it, so the
   * client retries with a version both know. Any other unparsable header closes the connection.
   */
  private static Outcome unparsableHeader(ByteBuffer frame, RuntimeException e) {
    if (frame.limit() >= 8 && frame.getShort(0) == ApiKeys.API_VERSIONS.id) {
      int correlationId = frame.getInt(4);
      ResponseHeader header = new ResponseHeader(correlationId, (short) 0);
      return new Outcome.Send(
          RequestUtils.serialize(
              header.data(),
              (short) 0,
              SupportedApis.apiVersions(Errors.UNSUPPORTED_VERSION),
              (short) 0));
    }
    return new Outcome.Close("unparsable request header: " + e.getMessage());
  }

  /**
   * Starts the request once its permission is known; completes when it started, with its answer. A
   * request on a session past its lifetime closes the connection, whatever it asks (as Kafka's
   * broker does: the client should have authenticated again before). ApiVersions and the SASL
   * exchange need no user; with auth enabled, anything else on a connection without one closes it
   * (as a Kafka SASL listener does), and so does a request whose user was deleted or whose password
   * changed since it authenticated; a request whose user's roles do not allow it gets its API's
   * authorization error. Refusals are audited and counted.
   */
  private CompletableFuture<CompletableFuture<ApiMessage>> authorized(
      RequestHeader header, AbstractRequest request, KafkaSession session) {
    ApiKeys key = header.apiKey();
    ApiMessage data = request.data();
    if (session.expired()) {
      return refused(
          AuthDecision.SESSION_EXPIRED,
          session,
          key,
          "the SASL session passed its lifetime without re-authenticating");
    }
    switch (key) {
      case API_VERSIONS, SASL_HANDSHAKE -> {
        return CompletableFuture.completedFuture(start(header, request, session));
      }
      case SASL_AUTHENTICATE -> {
        // the next request is checked only after the user is known
        return sasl.authenticate((SaslAuthenticateRequestData) data, header.apiVersion(), session)
            .thenApply(CompletableFuture::completedFuture);
      }
      default -> {}
    }
    return security
        .enabled()
        .toCompletableFuture()
        .thenCompose(
            on -> {
              if (!on) {
                return CompletableFuture.completedFuture(start(header, request, session));
              }
              CheckedPassword credentials = session.credentials();
              if (credentials == null) {
                return refused(
                    AuthDecision.MISSING_CREDENTIALS,
                    session,
                    key,
                    key.name + " before SASL authentication while auth is enabled");
              }
              return security
                  .decideForSession(credentials, Access.READ, List.of())
                  .toCompletableFuture()
                  .thenCompose(
                      valid ->
                          valid.outcome() == AuthDecision.Outcome.UNAUTHENTICATED
                              ? refused(
                                  valid.reason(),
                                  session,
                                  key,
                                  "the SASL user was deleted or its password changed")
                              : permitted(header, request, session, credentials));
            });
  }

  /** The request of a valid session, started or answered with its authorization error. */
  private CompletableFuture<CompletableFuture<ApiMessage>> permitted(
      RequestHeader header,
      AbstractRequest request,
      KafkaSession session,
      CheckedPassword credentials) {
    ApiKeys key = header.apiKey();
    ApiMessage data = request.data();
    if (key == ApiKeys.METADATA) {
      return CompletableFuture.completedFuture(
          start(header, request, session)
              .thenCompose(
                  answer ->
                      readableOnly(
                          credentials,
                          (MetadataResponseData) answer,
                          ((MetadataRequestData) data).topics() == null)));
    }
    return firstDenied(credentials, KafkaAcl.needs(key, data))
        .thenApply(
            denied -> {
              if (denied == null) {
                return start(header, request, session);
              }
              audit.denied(
                  credentials.user(), session.source(), SaslApi.LISTENER, key.name + " " + denied);
              Errors error = KafkaAcl.denial(denied);
              return CompletableFuture.completedFuture(
                  request.getErrorResponse(0, error.exception()).data());
            });
  }

  /** Closes the connection for a refused authentication, audited and counted. */
  private CompletableFuture<CompletableFuture<ApiMessage>> refused(
      String reason, KafkaSession session, ApiKeys key, String message) {
    String user = session.user();
    audit.authFailure(
        reason, user == null ? "" : user, session.source(), SaslApi.LISTENER, key.name);
    return CompletableFuture.completedFuture(
        CompletableFuture.failedFuture(new Unauthenticated(message)));
  }

  /**
   * A Metadata answer without the topics {@code user} may not read: dropped from a list of every
   * topic, answered TOPIC_AUTHORIZATION_FAILED (without partitions) when asked for by name.
   */
  private CompletableFuture<ApiMessage> readableOnly(
      CheckedPassword credentials, MetadataResponseData answer, boolean allTopics) {
    List<MetadataResponseData.MetadataResponseTopic> topics = List.copyOf(answer.topics());
    List<CompletableFuture<Boolean>> checks =
        topics.stream()
            .map(
                t ->
                    security
                        .decideForSession(
                            credentials, Access.READ, List.of(Resource.topic(t.name())))
                        .toCompletableFuture()
                        .thenApply(AuthDecision::allowed))
            .toList();
    return CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new))
        .thenApply(
            v -> {
              for (int i = 0; i < topics.size(); i++) {
                if (checks.get(i).join()) {
                  continue;
                }
                MetadataResponseData.MetadataResponseTopic topic = topics.get(i);
                if (allTopics) {
                  answer.topics().remove(topic);
                } else {
                  topic
                      .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())
                      .setPartitions(new java.util.ArrayList<>());
                }
              }
              return answer;
            });
  }

  /** The first resource the session may not access as {@code needs} asks; null when none. */
  private CompletableFuture<Resource> firstDenied(
      CheckedPassword credentials, List<KafkaAcl.Need> needs) {
    CompletableFuture<Resource> denied = CompletableFuture.completedFuture(null);
    for (KafkaAcl.Need need : needs) {
      for (Resource resource : need.resources()) {
        denied =
            denied.thenCompose(
                found ->
                    found != null
                        ? CompletableFuture.completedFuture(found)
                        : security
                            .decideForSession(credentials, need.access(), List.of(resource))
                            .toCompletableFuture()
                            .thenApply(decision -> decision.allowed() ? null : resource));
      }
    }
    return denied;
  }

  /** Starts the request now; its handler's failure becomes a failed answer. */
  @SuppressWarnings("unchecked")
  private CompletableFuture<ApiMessage> start(
      RequestHeader header, AbstractRequest request, KafkaSession session) {
    try {
      return (CompletableFuture<ApiMessage>) route(header, request, session).toCompletableFuture();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletionStage<? extends ApiMessage> route(
      RequestHeader header, AbstractRequest request, KafkaSession session) {
    short v = header.apiVersion();
    ApiMessage data = request.data();
    return switch (header.apiKey()) {
      case API_VERSIONS -> done(SupportedApis.apiVersions(Errors.NONE));
      case SASL_HANDSHAKE -> done(sasl.handshake((SaslHandshakeRequestData) data, session));
      case METADATA -> metadata.metadata((MetadataRequestData) data, v);
      case DESCRIBE_CLUSTER -> done(metadata.describeCluster());
      case FIND_COORDINATOR -> done(metadata.findCoordinator((FindCoordinatorRequestData) data, v));
      case PRODUCE -> produce.produce((ProduceRequestData) data);
      case INIT_PRODUCER_ID -> produce.initProducerId((InitProducerIdRequestData) data);
      case FETCH -> fetch.fetch((FetchRequestData) data);
      case LIST_OFFSETS -> fetch.listOffsets((ListOffsetsRequestData) data);
      case JOIN_GROUP -> membership.join((JoinGroupRequestData) data, header.clientId());
      case SYNC_GROUP -> membership.sync((SyncGroupRequestData) data);
      case HEARTBEAT -> membership.heartbeat((HeartbeatRequestData) data);
      case LEAVE_GROUP -> membership.leave((LeaveGroupRequestData) data, v);
      case OFFSET_COMMIT -> groupOffsets.commit((OffsetCommitRequestData) data);
      case OFFSET_FETCH -> groupOffsets.fetch((OffsetFetchRequestData) data, v);
      case DESCRIBE_GROUPS -> groupOffsets.describe((DescribeGroupsRequestData) data);
      case LIST_GROUPS -> groupOffsets.list((ListGroupsRequestData) data);
      case DELETE_GROUPS -> groupOffsets.deleteGroups((DeleteGroupsRequestData) data);
      case OFFSET_DELETE -> groupOffsets.deleteOffsets((OffsetDeleteRequestData) data);
      case CREATE_TOPICS -> admin.createTopics((CreateTopicsRequestData) data);
      case DELETE_TOPICS -> admin.deleteTopics((DeleteTopicsRequestData) data);
      case CREATE_PARTITIONS -> admin.createPartitions((CreatePartitionsRequestData) data);
      case DESCRIBE_CONFIGS -> admin.describeConfigs((DescribeConfigsRequestData) data);
      case INCREMENTAL_ALTER_CONFIGS ->
          admin.incrementalAlterConfigs((IncrementalAlterConfigsRequestData) data);
      default -> throw new IllegalStateException("no handler for supported API " + header.apiKey());
    };
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
