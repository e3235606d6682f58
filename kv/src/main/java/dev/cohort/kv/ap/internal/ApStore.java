package dev.cohort.kv.ap.internal;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * One node's replica of every AP keyspace it is a replica for, its hints for other replicas, and
 * its copy of the replication-factor catalog, in RocksDB under {@code <data-dir>/ap}. RocksDB's
 * write-ahead log is the commit log, its memtable and SSTables (with bloom filters and compaction)
 * the rest of Cassandra's storage engine.
 *
 * <p><b>Invariants.</b> Every change goes through one writer thread, which drains whatever is
 * queued, stages it in one {@link WriteBatch}, writes the batch with one sync (group commit), and
 * only then completes the changes' futures: a change reported done is on disk (with {@code sync}
 * on). The writer thread also serializes last-writer-wins merges, so two writes of one key can
 * never both read the old entry: an entry replaces the stored one only if it {@link ApEntry#beats}
 * it. Reads go straight to RocksDB from any thread.
 */
final class ApStore implements AutoCloseable {
  static {
    RocksDB.loadLibrary();
  }

  private static final byte[] DELETED = new byte[0];
  private static final int MAX_BATCH = 2048;

  /** The result of applying one entry: the stored one before, the stored one after. */
  record Applied(ApEntry previous, ApEntry current) {
    boolean changed() {
      return previous != current;
    }
  }

  /** One stored entry of a keyspace. */
  record Row(String key, long token, ApEntry entry) {}

  /** Told of every change to the data after it is on disk (on the writer thread: be quick). */
  interface Listener {
    void changed(String keyspace, long incarnation, String key, ApEntry entry);
  }

  private sealed interface Op permits Apply, Delete, Put, DropKeyspace {}

  private record Apply(
      byte[] key,
      String keyspace,
      long incarnation,
      String name,
      ApEntry entry,
      CompletableFuture<Applied> done)
      implements Op {}

  /** Deletes {@code key} if its value is still {@code expected} (null: unconditionally). */
  private record Delete(byte[] key, byte[] expected, CompletableFuture<Boolean> done)
      implements Op {}

  private record Put(byte[] key, byte[] value, CompletableFuture<Void> done) implements Op {}

  private record DropKeyspace(byte[] from, byte[] to, CompletableFuture<Void> done) implements Op {}

  private final Path directory;
  private final boolean sync;
  private final BlockingQueue<Op> queue = new LinkedBlockingQueue<>();
  private final Executor completions;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final AtomicLong hintSequence = new AtomicLong(System.currentTimeMillis() << 16);
  private final AtomicLong hintsPending = new AtomicLong();

  /** Set once, on first use, under {@code this}; null until then. */
  private volatile RocksDB db;

  private Options options;
  private WriteOptions writeOptions;
  private Thread writer;
  private volatile boolean closed;

  /** Reads hold it shared; close takes it exclusively, so no read touches a closed database. */
  private final ReentrantReadWriteLock readers = new ReentrantReadWriteLock();

  private ApStore(Path directory, boolean sync, Executor completions) {
    this.directory = directory;
    this.sync = sync;
    this.completions = completions;
  }

  /**
   * The store in {@code directory}: opened now if the directory exists (hints and data from before
   * a restart are served at once), else created on first use, so that a node that never serves an
   * AP keyspace never opens RocksDB (several nodes of one JVM in tests share a data directory).
   * {@code sync}: force every batch to the device before its changes are reported done. {@code
   * completions} runs the callbacks of completed futures, off the writer thread.
   */
  static ApStore open(Path directory, boolean sync, Executor completions) {
    ApStore store = new ApStore(directory, sync, completions);
    if (Files.isDirectory(directory)) {
      store.db();
    }
    return store;
  }

  /** Whether RocksDB has been opened (background work skips a store nobody used). */
  boolean isOpen() {
    return db != null;
  }

  private RocksDB db() {
    RocksDB current = db;
    return current != null ? current : openNow();
  }

  private synchronized RocksDB openNow() {
    if (db != null) {
      return db;
    }
    if (closed) {
      throw new IllegalStateException("the AP store is closed");
    }
    try {
      Files.createDirectories(directory);
      options =
          new Options()
              .setCreateIfMissing(true)
              .setTableFormatConfig(
                  new BlockBasedTableConfig().setFilterPolicy(new BloomFilter(10)));
      RocksDB opened = RocksDB.open(options, directory.toString());
      writeOptions = new WriteOptions().setSync(sync);
      db = opened;
      hintsPending.set(countPrefix(new byte[] {ApCodec.HINT}));
      writer = Thread.ofPlatform().name("kv-ap-store-writer").daemon().start(this::writeLoop);
      return opened;
    } catch (RocksDBException | java.io.IOException e) {
      throw new IllegalStateException(
          "cannot open the AP store in "
              + directory
              + " ("
              + e
              + "); is another node using the same cohort.node.data-dir?",
          e);
    }
  }

  void addListener(Listener listener) {
    listeners.add(listener);
  }

  void removeListener(Listener listener) {
    listeners.remove(listener);
  }

  // ---------------------------------------------------------------------------------- writes

  /** Merges {@code entry} into the stored entry of the key by last-writer-wins. */
  CompletableFuture<Applied> apply(String keyspace, long incarnation, String key, ApEntry entry) {
    CompletableFuture<Applied> done = new CompletableFuture<>();
    byte[] k = ApCodec.dataKey(keyspace, incarnation, ApPlacement.token(key), key);
    return enqueue(new Apply(k, keyspace, incarnation, key, entry, done), done);
  }

  /** Removes the key's entry if it is still {@code expected} (a purge that lost no race). */
  CompletableFuture<Boolean> purge(
      String keyspace, long incarnation, String key, ApEntry expected) {
    CompletableFuture<Boolean> done = new CompletableFuture<>();
    byte[] k = ApCodec.dataKey(keyspace, incarnation, ApPlacement.token(key), key);
    return enqueue(new Delete(k, ApCodec.entry(expected), done), done);
  }

  /** Removes every entry of the keyspace incarnation. */
  CompletableFuture<Void> drop(String keyspace, long incarnation) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    byte[] from = ApCodec.keyspacePrefix(keyspace, incarnation);
    byte[] to = from.clone();
    to[to.length - 1]++;
    if (to[to.length - 1] == 0) {
      to = ApCodec.tokenBound(keyspace, incarnation + 1, Long.MIN_VALUE);
    }
    return enqueue(new DropKeyspace(from, to, done), done);
  }

  /** Keeps {@code hint} durably; completes once it is on disk. */
  CompletableFuture<Void> addHint(ApHint hint) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    byte[] k = ApCodec.hintKey(hint.target(), hintSequence.incrementAndGet());
    CompletableFuture<Void> stored = enqueue(new Put(k, ApCodec.hintValue(hint), done), done);
    hintsPending.incrementAndGet();
    return stored;
  }

  CompletableFuture<Boolean> removeHint(byte[] hintKey) {
    CompletableFuture<Boolean> done = new CompletableFuture<>();
    return enqueue(new Delete(hintKey, null, done), done)
        .thenApply(
            removed -> {
              if (removed) {
                hintsPending.decrementAndGet();
              }
              return removed;
            });
  }

  CompletableFuture<Void> putCatalog(String keyspace, long incarnation, int replicationFactor) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    byte[] value = ByteBuffer.allocate(4).putInt(replicationFactor).array();
    return enqueue(new Put(ApCodec.catalogKey(keyspace, incarnation), value, done), done);
  }

  private <T> CompletableFuture<T> enqueue(Op op, CompletableFuture<T> done) {
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("the AP store is closed"));
    }
    db();
    queue.add(op);
    return done.thenApplyAsync(x -> x, completions);
  }

  private void writeLoop() {
    List<Op> batch = new ArrayList<>();
    while (!closed || !queue.isEmpty()) {
      try {
        Op first = queue.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, MAX_BATCH - 1);
        commit(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException | RocksDBException e) {
        for (Op op : batch) {
          future(op).completeExceptionally(e);
        }
      } finally {
        batch.clear();
      }
    }
  }

  private static CompletableFuture<?> future(Op op) {
    return switch (op) {
      case Apply a -> a.done();
      case Delete d -> d.done();
      case Put p -> p.done();
      case DropKeyspace d -> d.done();
    };
  }

  /** Stages every op of {@code batch} in one write batch, writes it with one sync, completes. */
  private void commit(List<Op> batch) throws RocksDBException {
    Map<ByteBuffer, byte[]> staged = new HashMap<>();
    Map<CompletableFuture<Object>, Object> results = new LinkedHashMap<>();
    List<Apply> changes = new ArrayList<>();
    try (WriteBatch wb = new WriteBatch()) {
      for (Op op : batch) {
        stage(op, wb, staged, results, changes);
      }
      db().write(writeOptions, wb);
    }
    for (Apply change : changes) {
      for (Listener l : listeners) {
        l.changed(change.keyspace(), change.incarnation(), change.name(), change.entry());
      }
    }
    results.forEach(CompletableFuture::complete);
  }

  @SuppressWarnings("unchecked")
  private void stage(
      Op op,
      WriteBatch wb,
      Map<ByteBuffer, byte[]> staged,
      Map<CompletableFuture<Object>, Object> results,
      List<Apply> changes)
      throws RocksDBException {
    switch (op) {
      case Apply a -> {
        byte[] raw = current(a.key(), staged);
        ApEntry previous = raw == null ? null : ApCodec.entry(raw);
        ApEntry current = previous;
        if (previous == null || a.entry().beats(previous)) {
          byte[] value = ApCodec.entry(a.entry());
          wb.put(a.key(), value);
          staged.put(ByteBuffer.wrap(a.key()), value);
          current = a.entry();
          changes.add(a);
        }
        results.put((CompletableFuture<Object>) (Object) a.done(), new Applied(previous, current));
      }
      case Delete d -> {
        byte[] raw = current(d.key(), staged);
        boolean remove = raw != null && (d.expected() == null || Arrays.equals(raw, d.expected()));
        if (remove) {
          wb.delete(d.key());
          staged.put(ByteBuffer.wrap(d.key()), DELETED);
        }
        results.put((CompletableFuture<Object>) (Object) d.done(), remove);
      }
      case Put p -> {
        wb.put(p.key(), p.value());
        staged.put(ByteBuffer.wrap(p.key()), p.value());
        results.put((CompletableFuture<Object>) (Object) p.done(), null);
      }
      case DropKeyspace d -> {
        wb.deleteRange(d.from(), d.to());
        staged
            .keySet()
            .removeIf(
                k ->
                    Arrays.compare(k.array(), d.from()) >= 0
                        && Arrays.compare(k.array(), d.to()) < 0);
        results.put((CompletableFuture<Object>) (Object) d.done(), null);
      }
    }
  }

  private byte[] current(byte[] key, Map<ByteBuffer, byte[]> staged) throws RocksDBException {
    byte[] pending = staged.get(ByteBuffer.wrap(key));
    if (pending != null) {
      return pending == DELETED ? null : pending;
    }
    return db().get(key);
  }

  // ---------------------------------------------------------------------------------- reads

  /** Runs a read unless the store is closed (then fails with IllegalStateException). */
  private <T> T reading(Supplier<T> read) {
    readers.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException("the AP store is closed");
      }
      return read.get();
    } finally {
      readers.readLock().unlock();
    }
  }

  ApEntry get(String keyspace, long incarnation, String key) {
    return reading(
        () -> {
          try {
            byte[] raw =
                db().get(ApCodec.dataKey(keyspace, incarnation, ApPlacement.token(key), key));
            return raw == null ? null : ApCodec.entry(raw);
          } catch (RocksDBException e) {
            throw new IllegalStateException("AP store read failed: " + e, e);
          }
        });
  }

  /**
   * Every entry of the keyspace whose token is in {@code (fromExclusive, toInclusive]} (unsigned; a
   * range with {@code from >= to} wraps around the ring), in token order from {@code from}.
   */
  void scan(
      String keyspace, long incarnation, long fromExclusive, long toInclusive, Consumer<Row> rows) {
    if (Long.compareUnsigned(fromExclusive, toInclusive) < 0) {
      scanAt(keyspace, incarnation, fromExclusive + 1, toInclusive, rows);
      return;
    }
    if (fromExclusive != -1L) {
      scanAt(keyspace, incarnation, fromExclusive + 1, -1L, rows);
    }
    scanAt(keyspace, incarnation, 0L, toInclusive, rows);
  }

  /** Every entry of the keyspace, in token order. */
  void scanAll(String keyspace, long incarnation, Consumer<Row> rows) {
    scanAt(keyspace, incarnation, 0L, -1L, rows);
  }

  /** Entries with a token in {@code [fromInclusive, toInclusive]} (unsigned). */
  private void scanAt(
      String keyspace, long incarnation, long fromInclusive, long toInclusive, Consumer<Row> rows) {
    reading(
        () -> {
          scanLocked(keyspace, incarnation, fromInclusive, toInclusive, rows);
          return null;
        });
  }

  private void scanLocked(
      String keyspace, long incarnation, long fromInclusive, long toInclusive, Consumer<Row> rows) {
    byte[] prefix = ApCodec.keyspacePrefix(keyspace, incarnation);
    try (ReadOptions ro = new ReadOptions();
        RocksIterator it = db().newIterator(ro)) {
      for (it.seek(ApCodec.tokenBound(keyspace, incarnation, fromInclusive));
          it.isValid();
          it.next()) {
        byte[] k = it.key();
        if (!startsWith(k, prefix)) {
          return;
        }
        ApCodec.DataKey dk = ApCodec.parseDataKey(k);
        if (Long.compareUnsigned(dk.token(), toInclusive) > 0) {
          return;
        }
        rows.accept(new Row(dk.key(), dk.token(), ApCodec.entry(it.value())));
      }
    }
  }

  /** The keyspace incarnations that have data here, as {@code name:incarnation}. */
  List<ApCodec.DataKey> keyspaces() {
    return isOpen() ? reading(this::keyspacesLocked) : List.of();
  }

  private List<ApCodec.DataKey> keyspacesLocked() {
    List<ApCodec.DataKey> found = new ArrayList<>();
    try (ReadOptions ro = new ReadOptions();
        RocksIterator it = db().newIterator(ro)) {
      it.seek(new byte[] {ApCodec.DATA});
      while (it.isValid() && it.key()[0] == ApCodec.DATA) {
        ApCodec.DataKey dk = ApCodec.parseDataKey(it.key());
        found.add(dk);
        it.seek(ApCodec.tokenBound(dk.keyspace(), dk.incarnation() + 1, 0L));
      }
    }
    return found;
  }

  /** Up to {@code max} hints for {@code target}, oldest first, by their store keys. */
  Map<byte[], ApHint> hints(String target, int max) {
    return reading(() -> hintsLocked(target, max));
  }

  private Map<byte[], ApHint> hintsLocked(String target, int max) {
    Map<byte[], ApHint> found = new LinkedHashMap<>();
    byte[] prefix = ApCodec.hintPrefix(target);
    try (ReadOptions ro = new ReadOptions();
        RocksIterator it = db().newIterator(ro)) {
      for (it.seek(prefix); it.isValid() && found.size() < max; it.next()) {
        if (!startsWith(it.key(), prefix)) {
          break;
        }
        found.put(it.key(), ApCodec.parseHint(target, it.value()));
      }
    }
    return found;
  }

  /** The targets that have hints waiting. */
  List<String> hintTargets() {
    return isOpen() ? reading(this::hintTargetsLocked) : List.of();
  }

  private List<String> hintTargetsLocked() {
    List<String> targets = new ArrayList<>();
    try (ReadOptions ro = new ReadOptions();
        RocksIterator it = db().newIterator(ro)) {
      it.seek(new byte[] {ApCodec.HINT});
      while (it.isValid() && it.key()[0] == ApCodec.HINT) {
        String target = ApCodec.hintTarget(it.key());
        targets.add(target);
        byte[] next = ApCodec.hintKey(target, -1L);
        it.seek(next);
        if (it.isValid() && Arrays.equals(it.key(), next)) {
          it.next();
        }
      }
    }
    return targets;
  }

  /** Whether the node is shutting down and the store no longer serves. */
  boolean isClosed() {
    return closed;
  }

  long hintsPending() {
    return hintsPending.get();
  }

  /** The replication factors this node knows, by {@code name:incarnation}. */
  Map<String, Integer> catalog() {
    return reading(this::catalogLocked);
  }

  private Map<String, Integer> catalogLocked() {
    Map<String, Integer> found = new HashMap<>();
    try (ReadOptions ro = new ReadOptions();
        RocksIterator it = db().newIterator(ro)) {
      for (it.seek(new byte[] {ApCodec.CATALOG});
          it.isValid() && it.key()[0] == ApCodec.CATALOG;
          it.next()) {
        found.put(ApCodec.catalogId(it.key()), ByteBuffer.wrap(it.value()).getInt());
      }
    }
    return found;
  }

  /** Approximate bytes on disk (SSTables and live WAL). */
  long diskBytes() {
    return !isOpen()
        ? 0
        : reading(
            () -> {
              try {
                return db().getLongProperty("rocksdb.total-sst-files-size")
                    + db().getLongProperty("rocksdb.cur-size-all-mem-tables");
              } catch (RocksDBException e) {
                return -1L;
              }
            });
  }

  private long countPrefix(byte[] prefix) {
    long n = 0;
    try (ReadOptions ro = new ReadOptions();
        RocksIterator it = db().newIterator(ro)) {
      for (it.seek(prefix); it.isValid() && startsWith(it.key(), prefix); it.next()) {
        n++;
      }
    }
    return n;
  }

  private static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  /** Finishes queued writes, then closes RocksDB. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (db == null) {
      return;
    }
    try {
      writer.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    readers.writeLock().lock();
    try {
      writeOptions.close();
      db.close();
      options.close();
    } finally {
      readers.writeLock().unlock();
    }
  }
}
