package dev.cohort.saga.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cohort.kv.Compare;
import dev.cohort.kv.KeyPlacement;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.Kv;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.RangeRequest;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnOpResult;
import dev.cohort.kv.TxnRequest;
import dev.cohort.log.ConsumerRecord;
import dev.cohort.observability.TraceContext;
import dev.cohort.observability.TraceScope;
import dev.cohort.observability.Tracing;
import dev.cohort.saga.ProjectionDefinition;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Applies records of one source partition to a projection's view, each record exactly once.
 *
 * <p><b>Exactly-once by idempotent, offset-keyed upserts.</b> Next to every view key {@code K} the
 * projection keeps, per source partition {@code p}, an <i>offset marker</i> {@code
 * {P}@projection/<name>/<p>/<K>} whose value is the offset of the last record of {@code p} applied
 * to {@code K}. {@code P} is {@code K}'s placement text (its hash tag, or the whole key when it has
 * none), so kv places the marker in {@code K}'s partition and one single-partition transaction can
 * write both. Applying the records of {@code K} from one fetch is a read of {@code K} and the
 * marker, then a transaction that compares both against what was read (modRevision, or "absent")
 * and writes the folded value and the new marker together. Records at or below the marker are
 * skipped, so a record replayed after a crash between the view write and the offset commit changes
 * nothing; a lost compare (another partition's runner changed {@code K}) reads again. Offsets the
 * runner commits are therefore only a restart position, never a correctness requirement.
 *
 * <p>Hazard: a key without a hash tag that contains '}' (or has an empty tag, {@code "{}x"}) has no
 * co-located marker; such a record fails the projection with a reason naming the key. Stateless
 * apart from its constructor arguments; thread-safe.
 */
public final class ViewWriter {
  static final String MARKER_INFIX = "}@projection/";
  private static final int MAX_CAS_ROUNDS = 100;
  private static final int CLEAR_PAGE = 1000;

  /** A problem retrying cannot fix: the projection fails with this message. */
  public static final class ViewFailure extends RuntimeException {
    ViewFailure(String message) {
      super(message);
    }
  }

  private final Kv kv;
  private final ProjectionDefinition definition;
  private final Tracing tracing;

  ViewWriter(Kv kv, ProjectionDefinition definition, Tracing tracing) {
    this.tracing = tracing;
    this.kv = kv;
    this.definition = definition;
  }

  /** The marker of (view key, source partition), or a {@link ViewFailure} when impossible. */
  public static String markerKey(String projection, int partition, String viewKey) {
    String placement = KeyPlacement.placementText(viewKey);
    if (placement.indexOf('}') >= 0) {
      throw new ViewFailure(
          "view key '"
              + viewKey
              + "' has no hash tag and contains '}': its "
              + "offset marker cannot be placed in its kv partition");
    }
    return "{" + placement + MARKER_INFIX + projection + "/" + partition + "/" + viewKey;
  }

  /** The view key a marker of {@code projection} belongs to, or null for any other key. */
  static String viewKeyOf(String projection, String key) {
    int close = key.indexOf('}');
    String prefix = "}@projection/" + projection + "/";
    if (!key.startsWith("{") || close < 0 || !key.startsWith(prefix, close)) {
      return null;
    }
    int slash = key.indexOf('/', close + prefix.length());
    return slash < 0 ? null : key.substring(slash + 1);
  }

  /** One record's effect on one view key. */
  private record Change(long offset, byte[] latest, BigDecimal amount) {}

  /** Applies {@code records} (offset order, all of partition {@code partition}). */
  CompletionStage<Void> apply(int partition, List<ConsumerRecord> records) {
    Map<String, List<Change>> byKey = new LinkedHashMap<>();
    Map<String, byte[]> producers = new HashMap<>();
    for (ConsumerRecord r : records) {
      String viewKey = viewKey(r);
      Change change = viewKey == null ? null : change(r);
      if (change != null) {
        byKey.computeIfAbsent(viewKey, k -> new ArrayList<>()).add(change);
        byte[] traceparent = r.headers().get("traceparent");
        if (traceparent != null) {
          producers.put(viewKey, traceparent);
        }
      }
    }
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (Map.Entry<String, List<Change>> e : byKey.entrySet()) {
      String marker;
      try {
        marker = markerKey(definition.name(), partition, e.getKey());
      } catch (ViewFailure failure) {
        return CompletableFuture.failedFuture(failure);
      }
      all.add(traced(e.getKey(), producers.get(e.getKey()), marker, e.getValue()));
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
  }

  /**
   * Applies one key's changes in a span continuing the trace of its last record's producer (from
   * the record's traceparent header), so that the view's kv writes join the produce's trace;
   * untraced when tracing is off or the record carries no header.
   */
  private CompletableFuture<Void> traced(
      String key, byte[] traceparent, String marker, List<Change> changes) {
    if (!tracing.enabled() || traceparent == null) {
      return applyKey(key, marker, changes, 0, Runnable::run).toCompletableFuture();
    }
    Span span =
        tracing
            .tracer()
            .spanBuilder("projection " + definition.name() + " apply")
            .setParent(
                tracing.contextOf(
                    new TraceContext(new String(traceparent, StandardCharsets.US_ASCII), null)))
            .setAttribute("cohort.projection", definition.name())
            .setAttribute("projection.changes", changes.size())
            .startSpan();
    Context context = Context.root().with(span);
    CompletableFuture<Void> applied;
    try (TraceScope ignored = tracing.enter(context)) {
      applied =
          applyKey(key, marker, changes, 0, tracing.executor(context, Runnable::run))
              .toCompletableFuture();
    }
    return applied.whenComplete((done, failure) -> span.end());
  }

  private String viewKey(ConsumerRecord r) {
    String field = definition.keyField();
    if (field == null) {
      return r.key() == null || r.key().length == 0 ? null : r.keyString();
    }
    JsonNode value = json(r);
    JsonNode key = value == null ? null : value.get(field);
    if (key == null || !(key.isTextual() || key.isNumber() || key.isBoolean())) {
      return null;
    }
    String text = key.asText();
    return text.isEmpty() ? null : text;
  }

  /** The record's contribution, or null when it has none (sum of a missing/non-numeric field). */
  private Change change(ConsumerRecord r) {
    return switch (definition.mode()) {
      case LATEST -> new Change(r.offset(), r.value(), null);
      case COUNT -> new Change(r.offset(), null, BigDecimal.ONE);
      case SUM -> {
        JsonNode value = json(r);
        JsonNode amount = value == null ? null : value.get(definition.field());
        yield amount != null && amount.isNumber()
            ? new Change(r.offset(), null, amount.decimalValue())
            : null;
      }
    };
  }

  private static JsonNode json(ConsumerRecord r) {
    if (r.value() == null) {
      return null;
    }
    try {
      JsonNode node = JsonValues.MAPPER.readTree(r.value());
      return node != null && node.isObject() ? node : null;
    } catch (java.io.IOException e) {
      return null;
    }
  }

  private CompletionStage<Void> applyKey(
      String key, String marker, List<Change> changes, int round, Executor continuation) {
    if (round >= MAX_CAS_ROUNDS) {
      return CompletableFuture.failedFuture(
          new IllegalStateException(
              "view key '"
                  + key
                  + "' changed under "
                  + MAX_CAS_ROUNDS
                  + " consecutive transactions; will retry"));
    }
    TxnRequest read =
        new TxnRequest(List.of(), List.of(new TxnOp.Get(key), new TxnOp.Get(marker)), List.of());
    return kv.txn(definition.keyspace(), read)
        .thenComposeAsync(
            result -> {
              Optional<KeyValue> current = ((TxnOpResult.Get) result.responses().get(0)).kv();
              Optional<KeyValue> applied = ((TxnOpResult.Get) result.responses().get(1)).kv();
              long appliedOffset = applied.map(m -> Long.parseLong(m.valueUtf8())).orElse(-1L);
              List<Change> fresh =
                  changes.stream().filter(c -> c.offset() > appliedOffset).toList();
              if (fresh.isEmpty()) {
                return CompletableFuture.<Void>completedFuture(null);
              }
              long last = fresh.get(fresh.size() - 1).offset();
              List<TxnOp> writes = new ArrayList<>();
              writes.add(viewWrite(key, current, fresh));
              writes.add(
                  new TxnOp.Put(
                      marker,
                      Long.toString(last).getBytes(StandardCharsets.UTF_8),
                      PutOptions.NONE));
              TxnRequest write =
                  new TxnRequest(
                      List.of(unchanged(key, current), unchanged(marker, applied)),
                      writes,
                      List.of());
              return kv.txn(definition.keyspace(), write)
                  .thenCompose(
                      done ->
                          done.succeeded()
                              ? CompletableFuture.<Void>completedFuture(null)
                              : applyKey(key, marker, changes, round + 1, continuation));
            },
            continuation);
  }

  private static Compare unchanged(String key, Optional<KeyValue> seen) {
    return seen.map(kv -> Compare.modRevision(key, Compare.Op.EQUAL, kv.modRevision()))
        .orElseGet(() -> Compare.version(key, Compare.Op.EQUAL, 0));
  }

  private TxnOp viewWrite(String key, Optional<KeyValue> current, List<Change> fresh) {
    if (definition.mode() == ProjectionDefinition.Mode.LATEST) {
      byte[] latest = fresh.get(fresh.size() - 1).latest();
      return latest == null ? new TxnOp.Delete(key) : new TxnOp.Put(key, latest, PutOptions.NONE);
    }
    BigDecimal total = current.map(kv -> number(key, kv)).orElse(BigDecimal.ZERO);
    for (Change c : fresh) {
      total = total.add(c.amount());
    }
    return new TxnOp.Put(
        key, total.toPlainString().getBytes(StandardCharsets.UTF_8), PutOptions.NONE);
  }

  private static BigDecimal number(String key, KeyValue kv) {
    try {
      return new BigDecimal(kv.valueUtf8());
    } catch (NumberFormatException e) {
      throw new ViewFailure(
          "view key '"
              + key
              + "' holds '"
              + kv.valueUtf8()
              + "', not a number: was it written by something other than this projection?");
    }
  }

  /**
   * Deletes every view key this projection has a marker for, with the markers (each key and marker
   * in one transaction, so a crash leaves no half-cleared pair).
   */
  CompletionStage<Void> clear() {
    return clearPage(null);
  }

  private CompletionStage<Void> clearPage(String page) {
    RangeRequest request = RangeRequest.prefix("{").withKeysOnly().withLimit(CLEAR_PAGE);
    return kv.range(definition.keyspace(), page == null ? request : request.withPage(page))
        .thenCompose(
            result -> {
              List<CompletableFuture<?>> deletes = new ArrayList<>();
              for (KeyValue k : result.kvs()) {
                String viewKey = viewKeyOf(definition.name(), k.key());
                if (viewKey != null) {
                  deletes.add(
                      kv.txn(
                              definition.keyspace(),
                              new TxnRequest(
                                  List.of(),
                                  List.of(new TxnOp.Delete(viewKey), new TxnOp.Delete(k.key())),
                                  List.of()))
                          .toCompletableFuture());
                }
              }
              return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new))
                  .thenCompose(
                      ignored ->
                          result.more()
                              ? clearPage(result.next())
                              : CompletableFuture.<Void>completedFuture(null));
            });
  }
}
