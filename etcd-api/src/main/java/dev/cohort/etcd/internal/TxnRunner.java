package dev.cohort.etcd.internal;

import dev.cohort.kv.Compare;
import dev.cohort.kv.KeyValue;
import dev.cohort.kv.PutOptions;
import dev.cohort.kv.TxnOp;
import dev.cohort.kv.TxnOpResult;
import dev.cohort.kv.TxnRequest;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.api.TxnResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * etcd's {@code Txn} as one kv transaction. Compares map one to one (every target and result, over
 * one key or an interval); puts, deletes (of one key or an interval), single-key reads and nested
 * transactions run inside the kv transaction, atomically at one revision, with etcd's semantics
 * (kv's {@code TxnOp.Txn}: every compare of the tree is evaluated against the keys before the
 * transaction). A read of a key interval inside a transaction (as etcd's lock and election recipes
 * issue) runs right after the kv transaction, so it sees the transaction's writes and possibly
 * later ones; its header says the revision it read at. A transaction with {@code ignore_value} puts
 * reads their keys first and runs nested in a guard that pins them ({@link KeptValues}), read again
 * while the guard fails, at most {@value #KEEPING_ATTEMPTS} times; the client sees the nested
 * transaction's answer only. Stateless; thread-safe.
 */
final class TxnRunner {
  private static final int LEASE_TARGET = 4;
  private static final int LEASE_FIELD = 8;

  /** Reads and guarded runs of a transaction with {@code ignore_value} puts before giving up. */
  static final int KEEPING_ATTEMPTS = 16;

  private final EtcdStore store;
  private final RangeReader ranges;

  TxnRunner(EtcdStore store, RangeReader ranges) {
    this.store = store;
    this.ranges = ranges;
  }

  /**
   * One etcd op of a branch: its request, its kv op (null for a deferred interval read) and, for a
   * nested transaction, that transaction's plan.
   */
  private record Planned(RequestOp request, TxnOp op, Plan nested) {}

  /** A transaction as planned: the kv transaction and the etcd ops of each branch. */
  private record Plan(TxnRequest kv, List<Planned> success, List<Planned> failure) {}

  CompletionStage<TxnResponse> run(io.etcd.jetcd.api.TxnRequest request) {
    checkOps(request, store.settings().maxTxnOps());
    Set<String> kept = KeptValues.keysOf(request);
    if (!kept.isEmpty()) {
      return runKeeping(request, kept, 1);
    }
    Plan plan = plan(request, KeptValues.NONE);
    return store
        .kv()
        .txn(store.keyspaceName(), plan.kv())
        .thenCompose(
            result ->
                answer(plan, result.succeeded(), result.responses(), result.header().revision()));
  }

  /**
   * A transaction with {@code ignore_value} puts of {@code keys}: read them, run it guarded, and
   * answer with the nested transaction's outcome; read again when the guard failed (a key changed
   * between the read and the run: nothing ran).
   */
  private CompletionStage<TxnResponse> runKeeping(
      io.etcd.jetcd.api.TxnRequest request, Set<String> keys, int attempt) {
    return KeptValues.read(store, keys)
        .thenCompose(
            kept -> {
              Plan plan = plan(request, kept);
              return store
                  .kv()
                  .txn(store.keyspaceName(), kept.guard(plan.kv()))
                  .thenCompose(
                      guarded -> {
                        if (guarded.succeeded()) {
                          TxnOpResult.Txn ran = (TxnOpResult.Txn) guarded.responses().get(0);
                          return answer(
                              plan, ran.succeeded(), ran.responses(), guarded.header().revision());
                        }
                        if (attempt == KEEPING_ATTEMPTS) {
                          throw EtcdErrors.contended(
                              "the keys of ignore_value puts changed before each of "
                                  + KEEPING_ATTEMPTS
                                  + " attempts; nothing was applied");
                        }
                        return runKeeping(request, keys, attempt + 1);
                      });
            });
  }

  private CompletionStage<TxnResponse> answer(
      Plan plan, boolean succeeded, List<TxnOpResult> results, long revision) {
    return respond(plan, succeeded, results, revision)
        .thenApply(b -> b.setHeader(store.header(revision)).build());
  }

  /**
   * etcd's {@code --max-txn-ops} as etcd counts it: a transaction's count is the largest of its
   * compares, success ops and failure ops; a nested transaction gets what its parent's count left.
   */
  private static void checkOps(io.etcd.jetcd.api.TxnRequest request, int max) {
    int count =
        Math.max(
            request.getCompareCount(),
            Math.max(request.getSuccessCount(), request.getFailureCount()));
    if (count > max) {
      throw EtcdErrors.tooManyOps();
    }
    for (List<RequestOp> branch : List.of(request.getSuccessList(), request.getFailureList())) {
      for (RequestOp op : branch) {
        if (op.hasRequestTxn()) {
          checkOps(op.getRequestTxn(), max - count);
        }
      }
    }
  }

  private static Plan plan(io.etcd.jetcd.api.TxnRequest request, KeptValues kept) {
    List<Compare> compares = new ArrayList<>();
    for (io.etcd.jetcd.api.Compare c : request.getCompareList()) {
      compares.add(compare(c));
    }
    List<Planned> success = plan(request.getSuccessList(), kept);
    List<Planned> failure = plan(request.getFailureList(), kept);
    return new Plan(new TxnRequest(compares, ops(success), ops(failure)), success, failure);
  }

  /**
   * The answer to the branch of {@code plan} that ran, from kv's {@code results} for it; deferred
   * interval reads run now, nested transactions answer with their own branch's responses.
   */
  private CompletionStage<TxnResponse.Builder> respond(
      Plan plan, boolean succeeded, List<TxnOpResult> results, long revision) {
    List<CompletionStage<ResponseOp>> answers = new ArrayList<>();
    int next = 0;
    for (Planned p : succeeded ? plan.success() : plan.failure()) {
      if (p.op() == null) {
        answers.add(
            ranges
                .range(p.request().getRequestRange())
                .thenApply(r -> ResponseOp.newBuilder().setResponseRange(inner(r)).build()));
      } else if (p.nested() != null) {
        TxnOpResult.Txn nested = (TxnOpResult.Txn) results.get(next++);
        answers.add(
            respond(p.nested(), nested.succeeded(), nested.responses(), revision)
                .thenApply(
                    // etcd leaves a nested response's header empty.
                    b ->
                        ResponseOp.newBuilder()
                            .setResponseTxn(b.setHeader(ResponseHeader.getDefaultInstance()))
                            .build()));
      } else {
        answers.add(
            CompletableFuture.completedFuture(
                response(p.request(), results.get(next++), revision)));
      }
    }
    CompletableFuture<TxnResponse.Builder> all = new CompletableFuture<>();
    collect(answers, 0, new ArrayList<>(), all, TxnResponse.newBuilder().setSucceeded(succeeded));
    return all;
  }

  private static void collect(
      List<CompletionStage<ResponseOp>> answers,
      int i,
      List<ResponseOp> done,
      CompletableFuture<TxnResponse.Builder> all,
      TxnResponse.Builder b) {
    if (i == answers.size()) {
      all.complete(b.addAllResponses(done));
      return;
    }
    answers
        .get(i)
        .whenComplete(
            (op, failure) -> {
              if (failure != null) {
                all.completeExceptionally(failure);
              } else {
                done.add(op);
                collect(answers, i + 1, done, all, b);
              }
            });
  }

  private static RangeResponse inner(RangeResponse r) {
    return r.toBuilder()
        .setHeader(ResponseHeader.newBuilder().setRevision(r.getHeader().getRevision()))
        .build();
  }

  private static ResponseOp response(RequestOp request, TxnOpResult result, long revision) {
    ResponseHeader header = ResponseHeader.newBuilder().setRevision(revision).build();
    return switch (result) {
      case TxnOpResult.Put put -> {
        PutResponse.Builder b = PutResponse.newBuilder().setHeader(header);
        put.prevKv().ifPresent(kv -> b.setPrevKv(EtcdStore.toEtcd(kv, false)));
        yield ResponseOp.newBuilder().setResponsePut(b).build();
      }
      case TxnOpResult.Delete delete -> {
        DeleteRangeResponse.Builder b =
            DeleteRangeResponse.newBuilder().setHeader(header).setDeleted(delete.deleted());
        delete.prevKvs().forEach(kv -> b.addPrevKvs(EtcdStore.toEtcd(kv, false)));
        yield ResponseOp.newBuilder().setResponseDeleteRange(b).build();
      }
      case TxnOpResult.Txn nested ->
          throw new IllegalStateException("a nested transaction's result is answered by respond");
      case TxnOpResult.Get get -> {
        RangeRequest r = request.getRequestRange();
        RangeResponse.Builder b = RangeResponse.newBuilder().setHeader(header);
        KeyValue kv = get.kv().orElse(null);
        b.setCount(kv == null ? 0 : 1);
        if (kv != null && !r.getCountOnly() && RangeReader.passes(kv, r)) {
          b.addKvs(EtcdStore.toEtcd(kv, r.getKeysOnly()));
        }
        yield ResponseOp.newBuilder().setResponseRange(b).build();
      }
    };
  }

  private static List<TxnOp> ops(List<Planned> planned) {
    List<TxnOp> ops = new ArrayList<>();
    for (Planned p : planned) {
      if (p.op() != null) {
        ops.add(p.op());
      }
    }
    return ops;
  }

  private static List<Planned> plan(List<RequestOp> requests, KeptValues kept) {
    List<Planned> planned = new ArrayList<>();
    for (RequestOp r : requests) {
      planned.add(
          switch (r.getRequestCase()) {
            case REQUEST_PUT -> new Planned(r, put(r.getRequestPut(), kept), null);
            case REQUEST_DELETE_RANGE -> new Planned(r, delete(r.getRequestDeleteRange()), null);
            case REQUEST_RANGE -> {
              RangeRequest range = r.getRequestRange();
              KeyRange keys = KeyRange.of(range.getKey(), range.getRangeEnd());
              boolean simple = keys.kind() == KeyRange.Kind.SINGLE && range.getRevision() == 0;
              yield new Planned(r, simple ? new TxnOp.Get(keys.key()) : null, null);
            }
            case REQUEST_TXN -> {
              Plan nested = plan(r.getRequestTxn(), kept);
              yield new Planned(r, new TxnOp.Txn(nested.kv()), nested);
            }
            // etcd's answer to an empty op (checkRequestOp)
            default -> throw EtcdErrors.keyNotFound();
          });
    }
    return planned;
  }

  /** etcd's put checks ({@code checkPutRequest}), then the kv put; see {@link KeptValues#put}. */
  private static TxnOp put(PutRequest p, KeptValues kept) {
    String key = EtcdStore.key(p.getKey());
    if (p.getIgnoreValue() && !p.getValue().isEmpty()) {
      throw EtcdErrors.valueProvided();
    }
    if (p.getIgnoreLease() && p.getLease() != 0) {
      throw EtcdErrors.leaseProvided();
    }
    return kept.put(key, p, new PutOptions(p.getLease(), p.getPrevKv(), p.getIgnoreLease()));
  }

  /** A delete of one key or of an interval; its key is never empty, as etcd checks. */
  private static TxnOp delete(DeleteRangeRequest d) {
    if (d.getKey().isEmpty()) {
      throw EtcdErrors.emptyKey();
    }
    return KeyRange.of(d.getKey(), d.getRangeEnd()).delete(d.getPrevKv());
  }

  /**
   * etcd's compare as kv's, over the compare's key interval when it has a range end. As etcd's
   * {@code checkTxnRequest}, a compare's key is never empty, not even with range end {@code "\0"}.
   */
  private static Compare compare(io.etcd.jetcd.api.Compare c) {
    if (c.getKey().isEmpty()) {
      throw EtcdErrors.emptyKey();
    }
    return KeyRange.of(c.getKey(), c.getRangeEnd()).over(single(c));
  }

  /** The compare on the request's key alone ({@link KeyRange#over} moves it onto the interval). */
  private static Compare single(io.etcd.jetcd.api.Compare c) {
    String key = EtcdStore.text(c.getKey());
    Compare.Op op =
        switch (c.getResult()) {
          case EQUAL -> Compare.Op.EQUAL;
          case NOT_EQUAL -> Compare.Op.NOT_EQUAL;
          case LESS -> Compare.Op.LESS;
          case GREATER -> Compare.Op.GREATER;
          default ->
              throw EtcdErrors.invalid("cohort: unknown compare result " + c.getResultValue());
        };
    return switch (c.getTarget()) {
      case VALUE -> Compare.value(key, op, c.getValue().toByteArray());
      case VERSION -> Compare.version(key, op, c.getVersion());
      case CREATE -> Compare.createRevision(key, op, c.getCreateRevision());
      case MOD -> Compare.modRevision(key, op, c.getModRevision());
      default -> {
        // jetcd-grpc's proto predates etcd 3.3's LEASE target (4, operand in field 8): it
        // arrives as an unrecognized value with the operand among the unknown fields.
        if (c.getTargetValue() != LEASE_TARGET) {
          throw EtcdErrors.invalid("cohort: unknown compare target " + c.getTargetValue());
        }
        List<Long> operand = c.getUnknownFields().getField(LEASE_FIELD).getVarintList();
        yield Compare.lease(key, op, operand.isEmpty() ? 0 : operand.get(operand.size() - 1));
      }
    };
  }
}
