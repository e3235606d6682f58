package dev.cohort.kv.ap.internal;

import dev.cohort.persistence.CohortSerializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.slf4j.Logger;

/**
 * The replica side of AP keyspaces on one node ({@code /system/kv-ap-replica}): applies the writes
 * coordinators send, answers full and digest reads, scans, hash trees and leaf fetches for repair,
 * drops, and keeps the replication-factor catalog. It owns no state of its own: the data is the
 * node's {@link ApStore}, whose writer thread orders the merges; store work runs on the given
 * executor, so the actor only routes and a slow disk never blocks its mailbox.
 *
 * <p>A write is acknowledged only after the store reports it on disk. Every written entry's
 * timestamp is observed by this node's clock first, so that a write this node coordinates later is
 * stamped after every write it has replicated (a put at ALL from one node, then a delete from
 * another, deletes).
 */
final class ApReplica extends AbstractBehavior<ApReplica.Command> {
  static final String NAME = "kv-ap-replica";

  /**
   * Every node's replica registers under this key once it runs. Others send to a node only after
   * its registration is listed ({@link ApRing#alive}): a message that reaches a node before its
   * replica exists would not only be lost, Artery would also keep the dead-letter reference for
   * that path in its compression table for the association, losing later messages too.
   */
  static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, NAME);

  public sealed interface Command extends CohortSerializable
      permits Write, WriteMany, Read, Scan, Tree, Fetch, Drop, CatalogPut {}

  /** Merge {@code entry} into this replica (LWW); answers after it is on disk. */
  public record Write(
      String keyspace, long incarnation, String key, ApEntry entry, ActorRef<WriteAck> replyTo)
      implements Command {}

  /**
   * @param previous the entry this replica held before (null: none)
   * @param current the entry it holds now: the write, or a newer one that beat it
   */
  public record WriteAck(String node, ApEntry previous, ApEntry current)
      implements CohortSerializable {}

  /** Merge several entries (repair streams); answers with how many changed this replica. */
  public record WriteMany(
      String keyspace, long incarnation, List<KeyEntry> entries, ActorRef<WriteManyAck> replyTo)
      implements Command {}

  public record WriteManyAck(String node, int changed) implements CohortSerializable {}

  public record KeyEntry(String key, ApEntry entry) implements CohortSerializable {}

  /** A read; with {@code digest} the value is left out (its timestamp and writer decide). */
  public record Read(
      String keyspace, long incarnation, String key, boolean digest, ActorRef<ReadReply> replyTo)
      implements Command {}

  /**
   * @param entry the stored entry, null when absent; for a digest its value is empty (a live entry)
   *     or null (a tombstone)
   */
  public record ReadReply(String node, ApEntry entry, boolean digest)
      implements CohortSerializable {}

  /**
   * Entries whose key starts with {@code prefix}, tombstones included, in token order from {@code
   * afterToken} (exclusive; {@code first} to start at the ring's beginning), about {@code max} per
   * page; a page ends only between two tokens.
   */
  public record Scan(
      String keyspace,
      long incarnation,
      String prefix,
      boolean first,
      long afterToken,
      int max,
      ActorRef<ScanReply> replyTo)
      implements Command {}

  /**
   * @param more whether entries after {@code lastToken} remain
   */
  public record ScanReply(String node, List<KeyEntry> entries, boolean more, long lastToken)
      implements CohortSerializable {}

  /** The hash tree leaves of a token range (see {@link ApMerkle}). */
  public record Tree(
      String keyspace,
      long incarnation,
      long fromExclusive,
      long toInclusive,
      int leaves,
      ActorRef<TreeReply> replyTo)
      implements Command {}

  public record TreeReply(String node, long[] leaves) implements CohortSerializable {}

  /** Every entry of a token range (one differing leaf), tombstones included. */
  public record Fetch(
      String keyspace,
      long incarnation,
      long fromExclusive,
      long toInclusive,
      ActorRef<ScanReply> replyTo)
      implements Command {}

  /** Removes this replica's data of a keyspace incarnation. */
  public record Drop(String keyspace, long incarnation, ActorRef<Dropped> replyTo)
      implements Command {}

  public record Dropped(String node) implements CohortSerializable {}

  /**
   * Replication factors by {@code name:incarnation} (known ones are never changed) and the nodes
   * the sender keeps on the ring as departed, with when they departed ({@link ApRing}). {@code
   * replyTo} may be null.
   */
  public record CatalogPut(
      Map<String, Integer> entries, Map<String, Long> departed, ActorRef<CatalogStored> replyTo)
      implements Command {}

  public record CatalogStored(String node) implements CohortSerializable {}

  /**
   * @param observe this node's clock observing a timestamp ({@link ApCoordinator#observe}, which
   *     counts one too far ahead instead of failing the write)
   */
  static Behavior<Command> create(
      ApStore store,
      ApCatalog catalog,
      ApRing ring,
      String self,
      Executor io,
      LongConsumer observe) {
    return Behaviors.setup(
        ctx -> {
          ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
          return new ApReplica(ctx, store, catalog, ring, self, io, observe);
        });
  }

  private final ApStore store;
  private final ApCatalog catalog;
  private final ApRing ring;
  private final String self;
  private final Executor io;
  private final LongConsumer observe;
  private final Logger log;

  private ApReplica(
      ActorContext<Command> context,
      ApStore store,
      ApCatalog catalog,
      ApRing ring,
      String self,
      Executor io,
      LongConsumer observe) {
    super(context);
    this.store = store;
    this.catalog = catalog;
    this.ring = ring;
    this.self = self;
    this.io = io;
    this.observe = observe;
    this.log = context.getLog();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Write.class, this::onWrite)
        .onMessage(WriteMany.class, this::onWriteMany)
        .onMessage(Read.class, this::onRead)
        .onMessage(Scan.class, this::onScan)
        .onMessage(Tree.class, this::onTree)
        .onMessage(Fetch.class, this::onFetch)
        .onMessage(Drop.class, this::onDrop)
        .onMessage(CatalogPut.class, this::onCatalogPut)
        .build();
  }

  private Behavior<Command> onWrite(Write w) {
    observe.accept(w.entry().timestamp());
    store
        .apply(w.keyspace(), w.incarnation(), w.key(), w.entry())
        .thenAccept(a -> w.replyTo().tell(new WriteAck(self, a.previous(), a.current())));
    return this;
  }

  private Behavior<Command> onWriteMany(WriteMany w) {
    List<CompletableFuture<ApStore.Applied>> applied = new ArrayList<>();
    for (KeyEntry e : w.entries()) {
      observe.accept(e.entry().timestamp());
      applied.add(store.apply(w.keyspace(), w.incarnation(), e.key(), e.entry()));
    }
    CompletableFuture.allOf(applied.toArray(CompletableFuture[]::new))
        .thenRun(
            () ->
                w.replyTo()
                    .tell(
                        new WriteManyAck(
                            self, (int) applied.stream().filter(f -> f.join().changed()).count())));
    return this;
  }

  private Behavior<Command> onRead(Read r) {
    async(
        () -> {
          ApEntry e = store.get(r.keyspace(), r.incarnation(), r.key());
          return new ReadReply(self, r.digest() && e != null ? digestOf(e) : e, r.digest());
        },
        r.replyTo());
    return this;
  }

  static ApEntry digestOf(ApEntry e) {
    return new ApEntry(
        e.isTombstone() ? null : new byte[0],
        e.timestamp(),
        e.writer(),
        e.expiresAtMillis(),
        e.purgeAtMillis());
  }

  private Behavior<Command> onScan(Scan s) {
    async(
        () -> {
          List<KeyEntry> found = new ArrayList<>();
          long[] last = {s.afterToken()};
          boolean[] more = {false};
          // A page ends only between tokens: stop at the first token past a full page.
          try {
            scanFrom(
                s,
                row -> {
                  if (found.size() >= s.max() && row.token() != last[0]) {
                    more[0] = true;
                    throw new PageFull();
                  }
                  last[0] = row.token();
                  if (row.key().startsWith(s.prefix())) {
                    found.add(new KeyEntry(row.key(), row.entry()));
                  }
                });
          } catch (PageFull full) {
            // the page is complete
          }
          return new ScanReply(self, List.copyOf(found), more[0], last[0]);
        },
        s.replyTo());
    return this;
  }

  private void scanFrom(Scan s, java.util.function.Consumer<ApStore.Row> rows) {
    if (s.first()) {
      store.scanAll(s.keyspace(), s.incarnation(), rows);
    } else if (s.afterToken() != -1L) {
      store.scan(s.keyspace(), s.incarnation(), s.afterToken(), -1L, rows);
    }
  }

  /** Ends a scan early once a page is full. */
  private static final class PageFull extends RuntimeException {
    PageFull() {
      super(null, null, false, false);
    }
  }

  private Behavior<Command> onTree(Tree t) {
    async(
        () ->
            new TreeReply(
                self,
                ApMerkle.leaves(
                    store,
                    t.keyspace(),
                    t.incarnation(),
                    t.fromExclusive(),
                    t.toInclusive(),
                    t.leaves())),
        t.replyTo());
    return this;
  }

  private Behavior<Command> onFetch(Fetch f) {
    async(
        () -> {
          List<KeyEntry> found = new ArrayList<>();
          store.scan(
              f.keyspace(),
              f.incarnation(),
              f.fromExclusive(),
              f.toInclusive(),
              row -> found.add(new KeyEntry(row.key(), row.entry())));
          return new ScanReply(self, List.copyOf(found), false, f.toInclusive());
        },
        f.replyTo());
    return this;
  }

  private Behavior<Command> onDrop(Drop d) {
    store.drop(d.keyspace(), d.incarnation()).thenRun(() -> d.replyTo().tell(new Dropped(self)));
    return this;
  }

  private Behavior<Command> onCatalogPut(CatalogPut c) {
    c.departed().forEach(ring::departed);
    catalog
        .mergeFromPeer(c.entries())
        .thenRun(
            () -> {
              if (c.replyTo() != null) {
                c.replyTo().tell(new CatalogStored(self));
              }
            });
    return this;
  }

  private <T> void async(Supplier<T> work, ActorRef<T> replyTo) {
    CompletableFuture.supplyAsync(work, io)
        .whenComplete(
            (reply, failure) -> {
              if (failure == null) {
                replyTo.tell(reply);
              } else {
                log.error("AP replica: request failed", failure);
              }
            });
  }
}
