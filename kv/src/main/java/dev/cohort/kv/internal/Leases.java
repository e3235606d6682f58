package dev.cohort.kv.internal;

import dev.cohort.kv.KvError;
import dev.cohort.kv.KvException;
import dev.cohort.kv.KvSettings;
import dev.cohort.kv.LeaseGrant;
import dev.cohort.kv.LeaseInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The lease operations of {@code Kv} (grant, keepalive, get, list, revoke) and the attachment of a
 * lease to a partition before a write uses it; the leases themselves live in the {@link KvLessor}
 * entities, a lease at lessor {@code id mod lease.lessors}.
 *
 * <p>Invariants: a TTL outside {@code lease.min-ttl..max-ttl} or not whole seconds, or an id that
 * cannot exist, is refused before any entity is asked; a new lease goes to a lessor chosen at
 * random, so grants spread over the lessors; a revoke completes only after every partition the
 * lease was attached to has deleted its keys (the lessor clears them too — both are idempotent).
 * Holds no state. Thread-safe.
 */
final class Leases {
  private final KvSettings settings;
  private final EntityAsks asks;
  private final MeteredCalls calls;

  Leases(KvSettings settings, EntityAsks asks, MeteredCalls calls) {
    this.settings = settings;
    this.asks = asks;
    this.calls = calls;
  }

  /** Grants lease {@code id} (at its lessor), or a new id at a lessor chosen at random if 0. */
  CompletionStage<LeaseGrant> grant(long id, Duration ttl) {
    return calls.call(
        "",
        "lease_grant",
        () -> {
          if (ttl == null
              || ttl.toMillis() % 1000 != 0
              || ttl.compareTo(settings.leaseMinTtl()) < 0
              || ttl.compareTo(settings.leaseMaxTtl()) > 0) {
            throw KvError.INVALID_TTL.exception(
                "lease TTL must be whole seconds within "
                    + settings.leaseMinTtl().toSeconds()
                    + ".."
                    + settings.leaseMaxTtl().toSeconds());
          }
          if (id < 0) {
            throw KvError.INVALID_REQUEST.exception("a lease id must not be negative");
          }
          String lessor =
              id == 0
                  ? Integer.toString(ThreadLocalRandom.current().nextInt(settings.lessors()))
                  : KvLessor.entityIdOf(id, settings.lessors());
          return asks.<KvLessor.Command, KvLessor.Reply>ask(
                  asks.lessor(lessor), r -> new KvLessor.Grant(ttl.toMillis(), r, id))
              .thenApply(
                  reply -> {
                    KvLessor.LeaseState s = answer(reply);
                    return new LeaseGrant(s.id(), s.ttlMillis() / 1000);
                  });
        });
  }

  CompletionStage<LeaseInfo> keepAlive(long leaseId) {
    return calls.call(
        "",
        "lease_keepalive",
        () -> {
          checkLeaseId(leaseId);
          return asks.<KvLessor.Command, KvLessor.Reply>ask(
                  asks.lessorOf(leaseId), r -> new KvLessor.KeepAlive(leaseId, r))
              .thenApply(
                  reply -> {
                    KvLessor.LeaseState s = answer(reply);
                    return new LeaseInfo(
                        s.id(), s.ttlMillis() / 1000, s.remainingMillis(), List.of());
                  });
        });
  }

  /** The lease with the keys it holds now, asked of every partition it was attached to. */
  CompletionStage<LeaseInfo> lease(long leaseId) {
    return calls.call(
        "",
        "lease_get",
        () -> {
          checkLeaseId(leaseId);
          return asks.<KvLessor.Command, KvLessor.Reply>ask(
                  asks.lessorOf(leaseId), r -> new KvLessor.GetLease(leaseId, r))
              .thenCompose(
                  reply -> {
                    KvLessor.LeaseState s = answer(reply);
                    List<CompletionStage<List<LeaseInfo.LeaseKey>>> parts = new ArrayList<>();
                    for (String partition : s.partitions()) {
                      String ks = partition.substring(0, partition.indexOf(':'));
                      parts.add(
                          asks.read(partition, r -> new KvPartition.LeaseKeys(leaseId, r))
                              .thenApply(
                                  rep ->
                                      rep instanceof KvPartition.LeaseKeysReply keys
                                          ? keys.keys().stream()
                                              .map(k -> new LeaseInfo.LeaseKey(ks, k))
                                              .toList()
                                          : List
                                              .<LeaseInfo.LeaseKey>
                                                  of())); // a deleted keyspace holds no keys
                    }
                    return EntityAsks.all(parts)
                        .thenApply(
                            lists ->
                                new LeaseInfo(
                                    s.id(),
                                    s.ttlMillis() / 1000,
                                    s.remainingMillis(),
                                    lists.stream().flatMap(List::stream).toList()));
                  });
        });
  }

  /**
   * Every live lease of the cluster, ascending: each lessor is asked for its own; a lessor that
   * does not answer fails the whole list rather than leaving its leases out silently.
   */
  CompletionStage<List<Long>> list() {
    return calls.call(
        "",
        "lease_list",
        () -> {
          List<CompletionStage<List<Long>>> perLessor = new ArrayList<>();
          for (int lessor = 0; lessor < settings.lessors(); lessor++) {
            perLessor.add(
                asks.<KvLessor.Command, KvLessor.Reply>ask(
                        asks.lessor(Integer.toString(lessor)), KvLessor.ListLeases::new)
                    .thenApply(
                        reply ->
                            switch (reply) {
                              case KvLessor.LeaseIds ids -> ids.ids();
                              case KvLessor.LeaseState s ->
                                  throw new IllegalStateException(
                                      "lessor answered a list with " + s);
                              case KvLessor.Rejected r -> throw KvException.of(r.rejection());
                            }));
          }
          return EntityAsks.all(perLessor)
              .thenApply(lists -> lists.stream().flatMap(List::stream).sorted().toList());
        });
  }

  CompletionStage<Void> revoke(long leaseId) {
    return calls.call(
        "",
        "lease_revoke",
        () -> {
          checkLeaseId(leaseId);
          return asks.<KvLessor.Command, KvLessor.Reply>ask(
                  asks.lessorOf(leaseId), r -> new KvLessor.Revoke(leaseId, r))
              .thenCompose(
                  reply -> {
                    KvLessor.LeaseState s = answer(reply);
                    // The lessor clears the partitions too; clearing them here as well lets the
                    // revoke
                    // answer only once the keys are gone. Both are idempotent.
                    List<CompletionStage<KvPartition.Reply>> clears = new ArrayList<>();
                    for (String partition : s.partitions()) {
                      clears.add(
                          asks.write(partition, r -> new KvPartition.RevokeLease(leaseId, r)));
                    }
                    return EntityAsks.all(clears).thenApply(x -> (Void) null);
                  });
        });
  }

  /**
   * Records at the lease's lessor that partition {@code entityId} may hold keys of {@code lease};
   * fails with {@code lease_not_found} for an unknown or expired lease. Not metered: it is part of
   * the write that needs it.
   */
  CompletionStage<KvLessor.LeaseState> attach(long lease, String entityId) {
    return asks.<KvLessor.Command, KvLessor.Reply>ask(
            asks.lessorOf(lease), r -> new KvLessor.Attach(lease, entityId, r))
        .thenApply(Leases::answer);
  }

  private static void checkLeaseId(long id) {
    if (id <= 0) {
      throw KvError.LEASE_NOT_FOUND.exception("lease " + id + " does not exist");
    }
  }

  private static KvLessor.LeaseState answer(KvLessor.Reply reply) {
    return switch (reply) {
      case KvLessor.LeaseState s -> s;
      case KvLessor.Rejected r -> throw KvException.of(r.rejection());
      case KvLessor.LeaseIds ids ->
          throw new IllegalStateException("lessor answered a lease request with " + ids);
    };
  }
}
