package dev.cohort.saga.internal;

import dev.cohort.kv.Kv;
import dev.cohort.log.StreamLog;
import dev.cohort.observability.TraceContext;
import dev.cohort.observability.Tracing;
import dev.cohort.persistence.AskStages;
import dev.cohort.saga.Projections;
import dev.cohort.saga.SagaDefinition;
import dev.cohort.saga.SagaError;
import dev.cohort.saga.SagaException;
import dev.cohort.saga.SagaFunction;
import dev.cohort.saga.SagaInstance;
import dev.cohort.saga.SagaSettings;
import dev.cohort.saga.SagaState;
import dev.cohort.saga.SagaStep;
import dev.cohort.saga.SagaSummary;
import dev.cohort.saga.SagaUpdate;
import dev.cohort.saga.Sagas;
import dev.cohort.saga.StartResult;
import dev.cohort.saga.StepAction;
import dev.cohort.saga.StepContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded {@link dev.cohort.saga.Sagas}: validates at the edge, then asks the entities.
 * Thread-safe.
 */
public final class SagasImpl implements Sagas {
  private static final Logger LOG = LoggerFactory.getLogger(SagasImpl.class);
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_.:-]{1,128}");

  private final ActorSystem<?> system;
  private final SagaSettings settings;
  private final StepExecutor executor;
  private final ClusterSharding sharding;
  private final ActorRef<Topic.Command<SagaUpdate>> updates;
  private final Projections projections;

  private SagasImpl(
      ActorSystem<?> system,
      SagaSettings settings,
      StepExecutor executor,
      ClusterSharding sharding,
      ActorRef<Topic.Command<SagaUpdate>> updates,
      Projections projections) {
    this.system = system;
    this.settings = settings;
    this.executor = executor;
    this.sharding = sharding;
    this.updates = updates;
    this.projections = projections;
  }

  public static Sagas start(ActorSystem<?> system, Kv kv, StreamLog log, SagaSettings settings) {
    StepExecutor executor =
        new StepExecutor(
            kv,
            log,
            system.dispatchers().lookup(DispatcherSelector.blocking()),
            settings,
            Tracing.get(system));
    SagaMetrics metrics = new SagaMetrics(system);
    SagaEventsLog events = new SagaEventsLog(log, settings);
    if (settings.publishEvents()) {
      events.ensureTopic();
    }
    ActorRef<Topic.Command<SagaUpdate>> updates =
        system.systemActorOf(
            Topic.create(SagaUpdate.class, "cohort-saga-updates"),
            "cohort-saga-updates",
            Props.empty());
    ClusterSharding sharding = ClusterSharding.get(system);
    SagaInstanceEntity.Deps deps =
        new SagaInstanceEntity.Deps(
            executor, metrics, events, updates, sharding, settings, Tracing.get(system));
    SagaInstanceEntity.init(system, deps);
    SagaDefinitionsEntity.init(system, settings);
    SagaIndexEntity.init(system, settings);
    SagasImpl sagas =
        new SagasImpl(
            system,
            settings,
            executor,
            sharding,
            updates,
            ProjectionsImpl.start(system, kv, log, settings));
    Duration first =
        settings.wakeInterval().compareTo(Duration.ofSeconds(2)) < 0
            ? settings.wakeInterval()
            : Duration.ofSeconds(2);
    system
        .scheduler()
        .scheduleWithFixedDelay(
            first, settings.wakeInterval(), sagas::wakeActive, system.executionContext());
    return sagas;
  }

  // ---- functions ----

  @Override
  public void registerFunction(String name, SagaFunction function) {
    executor.register(name, function);
  }

  @Override
  public void registerBlockingFunction(
      String name, Function<StepContext, Map<String, Object>> function) {
    executor.registerBlocking(name, function);
  }

  // ---- definitions ----

  @Override
  public CompletionStage<SagaDefinition> define(SagaDefinition definition) {
    SagaDefinition filled;
    try {
      definition.validate();
      if (definition.steps().size() > settings.maxSteps()) {
        throw SagaError.INVALID_DEFINITION.exception(
            "definition '"
                + definition.name()
                + "' has "
                + definition.steps().size()
                + " steps; at most "
                + settings.maxSteps());
      }
      filled = withDefaults(definition);
      int bytes = filled.toJson().getBytes(StandardCharsets.UTF_8).length;
      if (bytes > settings.maxDefinitionBytes()) {
        throw SagaError.DEFINITION_TOO_LARGE.exception(
            "definition '"
                + definition.name()
                + "' is "
                + bytes
                + " bytes; at most "
                + settings.maxDefinitionBytes());
      }
    } catch (SagaException e) {
      return CompletableFuture.failedFuture(e);
    }
    return askDefinitions(replyTo -> new SagaDefinitionsEntity.Define(filled, replyTo))
        .thenApply(reply -> ((SagaDefinitionsEntity.Found) reply).definition());
  }

  @Override
  public CompletionStage<SagaDefinition> defineJson(String name, String json) {
    try {
      if (json != null && json.length() > settings.maxDefinitionBytes()) {
        throw SagaError.DEFINITION_TOO_LARGE.exception(
            "definition is over " + settings.maxDefinitionBytes() + " bytes");
      }
      return define(SagaDefinition.fromJson(name, json));
    } catch (SagaException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private SagaDefinition withDefaults(SagaDefinition d) {
    List<SagaStep> steps = new ArrayList<>();
    for (SagaStep s : d.steps()) {
      SagaStep filled = s;
      if (s.retry() == null) {
        filled = filled.withRetry(settings.defaultRetry());
      }
      if (s.timeoutMs() == 0) {
        filled = filled.withTimeout(settings.defaultStepTimeout());
      }
      steps.add(filled);
    }
    return d.withSteps(steps);
  }

  @Override
  public CompletionStage<SagaDefinition> definition(String name) {
    return definition(name, 0);
  }

  @Override
  public CompletionStage<SagaDefinition> definition(String name, int version) {
    return askDefinitions(
            replyTo -> new SagaDefinitionsEntity.GetDefinition(name, version, replyTo))
        .thenApply(reply -> ((SagaDefinitionsEntity.Found) reply).definition());
  }

  @Override
  public CompletionStage<List<SagaDefinition>> definitions() {
    return askDefinitions(SagaDefinitionsEntity.ListDefinitions::new)
        .thenApply(reply -> ((SagaDefinitionsEntity.Listed) reply).definitions());
  }

  @Override
  public CompletionStage<Done> deleteDefinition(String name) {
    return askDefinitions(replyTo -> new SagaDefinitionsEntity.DeleteDefinition(name, replyTo))
        .thenApply(reply -> Done.getInstance());
  }

  private CompletionStage<SagaDefinitionsEntity.Reply> askDefinitions(
      Function<ActorRef<SagaDefinitionsEntity.Reply>, SagaDefinitionsEntity.Command> message) {
    return AskStages.on(
            sharding
                .entityRefFor(
                    SagaDefinitionsEntity.ENTITY_TYPE_KEY, SagaDefinitionsEntity.ENTITY_ID)
                .ask(message::apply, settings.askTimeout()),
            system.executionContext())
        .handle((reply, failure) -> EntityReplies.orThrow(reply, failure, "the saga service"));
  }

  // ---- instances ----

  @Override
  public CompletionStage<StartResult> start(String definition, String id, Map<String, ?> input) {
    String json;
    try {
      json = JsonValues.write(input == null ? Map.of() : input);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(
          SagaError.INVALID_INPUT.exception("input cannot be written as JSON: " + e.getMessage()));
    }
    return startJson(definition, id, json);
  }

  @Override
  public CompletionStage<StartResult> startJson(
      String definitionName, String id, String inputJson) {
    // The caller's span, captured here: the rest runs on whichever thread completes each stage.
    TraceContext trace = Tracing.get(system).capture();
    String instanceId = id == null || id.isEmpty() ? UUID.randomUUID().toString() : id;
    String input;
    try {
      if (!ID.matcher(instanceId).matches()) {
        throw SagaError.INVALID_INPUT.exception(
            "instance id must be 1 to 128 letters, "
                + "digits or '_', '.', ':', '-', not '"
                + instanceId
                + "'");
      }
      if (!SagaDefinition.isValidName(definitionName)) {
        throw SagaError.DEFINITION_NOT_FOUND.exception(
            "saga definition '" + definitionName + "' does not exist");
      }
      String text = inputJson == null || inputJson.isBlank() ? "{}" : inputJson;
      int bytes = text.getBytes(StandardCharsets.UTF_8).length;
      if (bytes > settings.maxContextBytes()) {
        throw SagaError.CONTEXT_TOO_LARGE.exception(
            "input is "
                + bytes
                + " bytes; the context may be at most "
                + settings.maxContextBytes());
      }
      input = JsonValues.objectTree(text, SagaError.INVALID_INPUT, "input").toString();
    } catch (SagaException e) {
      return CompletableFuture.failedFuture(e);
    }
    return definition(definitionName)
        .thenCompose(
            definition -> {
              checkFunctions(definition);
              SagaSummary placeholder =
                  new SagaSummary(
                      instanceId,
                      definition.name(),
                      definition.version(),
                      SagaState.RUNNING,
                      Instant.EPOCH);
              return sharding
                  .entityRefFor(
                      SagaIndexEntity.ENTITY_TYPE_KEY,
                      SagaIndexEntity.bucketOf(instanceId, settings.indexBuckets()))
                  .<SagaIndexEntity.Reply>ask(
                      replyTo -> new SagaIndexEntity.Register(placeholder, replyTo),
                      settings.askTimeout())
                  .exceptionally(
                      failure -> {
                        throw SagaException.from(failure, "the saga service");
                      })
                  .thenCompose(
                      registered ->
                          askInstance(
                              instanceId,
                              replyTo ->
                                  new SagaInstanceEntity.Start(definition, input, trace, replyTo)));
            })
        .thenApply(answer -> new StartResult(answer.instance(), answer.created()));
  }

  private void checkFunctions(SagaDefinition definition) {
    for (SagaStep step : definition.steps()) {
      List<StepAction> actions = new ArrayList<>();
      actions.add(step.action());
      step.compensation().ifPresent(actions::add);
      for (StepAction action : actions) {
        if (action instanceof StepAction.Java java && !executor.hasFunction(java.function())) {
          throw SagaError.UNKNOWN_FUNCTION.exception(
              "step '"
                  + step.name()
                  + "' calls java function '"
                  + java.function()
                  + "', which is not registered on this node");
        }
      }
    }
  }

  @Override
  public CompletionStage<SagaInstance> get(String id) {
    return askInstance(id, SagaInstanceEntity.Get::new)
        .thenApply(SagaInstanceEntity.Answer::instance);
  }

  @Override
  public CompletionStage<List<SagaSummary>> list(
      Optional<String> definition, Optional<SagaState> state) {
    List<SagaState> states = state.map(List::of).orElse(List.of());
    return queryIndex(definition, states, false, settings.listMaxResults())
        .thenApply(
            all ->
                all.stream()
                    .sorted(Comparator.comparing(SagaSummary::id))
                    .limit(settings.listMaxResults())
                    .toList());
  }

  private CompletionStage<List<SagaSummary>> queryIndex(
      Optional<String> definition, List<SagaState> states, boolean placeholders, int limit) {
    List<CompletableFuture<SagaIndexEntity.Reply>> asks = new ArrayList<>();
    for (int bucket = 0; bucket < settings.indexBuckets(); bucket++) {
      asks.add(
          sharding
              .entityRefFor(SagaIndexEntity.ENTITY_TYPE_KEY, "bucket-" + bucket)
              .<SagaIndexEntity.Reply>ask(
                  replyTo ->
                      new SagaIndexEntity.Query(definition, states, placeholders, limit, replyTo),
                  settings.askTimeout())
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new))
        .handle(
            (ignored, failure) -> {
              if (failure != null) {
                throw SagaException.from(failure, "the saga service");
              }
              List<SagaSummary> all = new ArrayList<>();
              asks.forEach(a -> all.addAll(((SagaIndexEntity.Listing) a.join()).entries()));
              return all;
            });
  }

  @Override
  public CompletionStage<SagaInstance> retry(String id) {
    return askInstance(id, SagaInstanceEntity.Retry::new)
        .thenApply(SagaInstanceEntity.Answer::instance);
  }

  @Override
  public CompletionStage<SagaInstance> resolve(String id, String reason) {
    return askInstance(id, replyTo -> new SagaInstanceEntity.Resolve(reason, replyTo))
        .thenApply(SagaInstanceEntity.Answer::instance);
  }

  private CompletionStage<SagaInstanceEntity.Answer> askInstance(
      String id, Function<ActorRef<SagaInstanceEntity.Reply>, SagaInstanceEntity.Command> message) {
    if (id == null || !ID.matcher(id).matches()) {
      return CompletableFuture.failedFuture(
          SagaError.INSTANCE_NOT_FOUND.exception("saga instance '" + id + "' does not exist"));
    }
    return AskStages.on(
            sharding
                .entityRefFor(SagaInstanceEntity.ENTITY_TYPE_KEY, id)
                .ask(message::apply, settings.askTimeout()),
            system.executionContext())
        .handle(
            (reply, failure) ->
                (SagaInstanceEntity.Answer)
                    EntityReplies.orThrow(reply, failure, "the saga service"));
  }

  @Override
  public Source<SagaUpdate, NotUsed> updates() {
    return ActorSource.<SagaUpdate>actorRef(
            update -> false,
            update -> Optional.empty(),
            settings.updatesBufferSize(),
            OverflowStrategy.dropHead())
        .mapMaterializedValue(
            ref -> {
              updates.tell(Topic.subscribe(ref));
              return NotUsed.getInstance();
            });
  }

  @Override
  public Projections projections() {
    return projections;
  }

  /**
   * Wakes every RUNNING or COMPENSATING instance the index knows (placeholders included), so that
   * instances whose node stopped resume; an instance already running ignores the wake.
   */
  private void wakeActive() {
    queryIndex(
            Optional.empty(),
            List.of(SagaState.RUNNING, SagaState.COMPENSATING),
            true,
            Integer.MAX_VALUE)
        .whenComplete(
            (active, failure) -> {
              if (failure != null) {
                LOG.debug("saga waker: index not reachable yet: {}", failure.toString());
                return;
              }
              for (SagaSummary s : active) {
                sharding
                    .entityRefFor(SagaInstanceEntity.ENTITY_TYPE_KEY, s.id())
                    .tell(SagaInstanceEntity.Wake.INSTANCE);
              }
            });
  }
}
