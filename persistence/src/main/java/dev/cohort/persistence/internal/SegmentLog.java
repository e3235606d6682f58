package dev.cohort.persistence.internal;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * An append-only event log in numbered segment files, the storage under {@link FileJournal}.
 *
 * <p>The log is one logical byte stream cut into segment files named by the stream position of
 * their first byte (as Kafka names its segments). Every record is {@code [int bodyLength][int
 * crc32c(body)][body]}; a body holds either one atomic write (a persistence id and its consecutive
 * events) or a deletion mark (a persistence id and the sequence number up to which its events are
 * deleted). One record per atomic write makes the write all-or-nothing: a record torn by a crash
 * fails its checksum and is cut off at the next open.
 *
 * <p>Group commit: callers encode their records and queue them; one writer thread takes everything
 * queued, writes it with one gathering write, forces it to disk with one {@code fdatasync}, updates
 * the in-memory index and only then completes the callers' futures. Writers that arrive during a
 * sync share the next one.
 *
 * <p>The index holds, per persistence id, the highest sequence number ever written, the deletion
 * mark and the position of each of its live records (24 bytes per record, about 210 bytes per id).
 * It is rebuilt by reading the whole log at open: 2.1 s and 215 MB of heap for a million ids of one
 * record each (a 378 MB log) on the 2-core development machine ({@code ./cohort bench
 * journal-open}). Deleted events are skipped but their bytes stay on disk: no Cohort entity deletes
 * its events (they keep snapshots and events), so segments are never reclaimed.
 */
final class SegmentLog implements AutoCloseable {
  static final int HEADER_BYTES = 8;
  private static final byte EVENTS = 1;
  private static final byte DELETE = 2;

  /** Smallest body: kind, an empty persistence id, and a count or a sequence number. */
  private static final int MIN_BODY_BYTES = 1 + 2 + 4;

  /** What one commit wrote, for metrics. */
  interface CommitObserver {
    void committed(int records, long bytes, long nanos);
  }

  /** One atomic write: events {@code firstSequenceNr, firstSequenceNr + 1, …} of one id. */
  record Append(String persistenceId, long firstSequenceNr, List<byte[]> events) {}

  /** Receives replayed events in sequence order. */
  interface EventConsumer {
    void accept(long sequenceNr, byte[] event);
  }

  /** What the open found: a torn tail cut off, in bytes (0 when the log ended cleanly). */
  record Recovery(long records, long truncatedBytes) {}

  /**
   * One segment file. Reads go through their own channel, reopened when closed: a thread
   * interrupted in a {@link FileChannel} read closes that channel for everyone, and a replay thread
   * interrupted at shutdown must not close the channel the writer appends to.
   */
  private static final class Segment {
    final long base;
    final Path path;
    private volatile FileChannel reader;

    Segment(long base, Path path) throws IOException {
      this.base = base;
      this.path = path;
      this.reader = FileChannel.open(path, StandardOpenOption.READ);
    }

    FileChannel reader() throws IOException {
      FileChannel current = reader;
      if (!current.isOpen()) {
        synchronized (this) {
          if (!reader.isOpen()) {
            reader = FileChannel.open(path, StandardOpenOption.READ);
          }
          current = reader;
        }
      }
      return current;
    }

    void close() throws IOException {
      reader.close();
    }
  }

  /** Thrown by the open's scan at the first record that cannot be read. */
  private static final class DamagedRecord extends Exception {
    DamagedRecord(String reason) {
      super(reason, null, false, false);
    }
  }

  /** Encoded records of one caller, and the future completed when they are durable. */
  private record Pending(List<Encoded> records, CompletableFuture<Void> done) {}

  private record Encoded(
      String persistenceId, byte kind, long sequenceNr, int count, ByteBuffer bytes) {}

  /** Queued by {@link #close()} after everything else: the writer stops when it takes it. */
  private static final Pending STOP = new Pending(List.of(), new CompletableFuture<>());

  private final Path directory;
  private final long segmentBytes;
  private final CommitObserver observer;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
  private final Map<String, PersistenceIdIndex> index = new ConcurrentHashMap<>();
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread writer;

  /** The last segment's channel for appending; used only by the writer thread after the open. */
  private FileChannel appender;

  private final Recovery recovery;
  private volatile boolean closed;

  /** Set by the writer when the log's tail could not be restored after a failed write. */
  private volatile IOException broken;

  /** Stream position after the last durable record; written only by the writer thread. */
  private long end;

  private SegmentLog(Path directory, long segmentBytes, CommitObserver observer)
      throws IOException {
    this.directory = directory;
    this.segmentBytes = segmentBytes;
    this.observer = observer;
    Files.createDirectories(directory);
    lockChannel =
        FileChannel.open(
            directory.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock acquired;
    try {
      acquired = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      acquired = null;
    }
    if (acquired == null) {
      lockChannel.close();
      throw new IOException(
          "journal directory " + directory + " is in use by another node or process");
    }
    lock = acquired;
    try {
      recovery = recover();
    } catch (IOException | RuntimeException e) {
      closeChannels();
      throw e;
    }
    writer = Thread.ofPlatform().daemon().name("cohort-journal-writer").unstarted(this::writeLoop);
    writer.start();
  }

  /**
   * Opens (creating if needed) the log in {@code directory}, rebuilding the index from its segments
   * and cutting off a torn record at the end of the last one.
   *
   * @throws IOException when the directory is locked by another log, or a segment other than the
   *     last is damaged (nothing is repaired then)
   */
  static SegmentLog open(Path directory, long segmentBytes, CommitObserver observer)
      throws IOException {
    return new SegmentLog(directory, segmentBytes, observer);
  }

  Recovery recovery() {
    return recovery;
  }

  /**
   * Queues atomic writes; the future completes once all of them are on disk and readable, or fails
   * with the {@link IOException} that prevented it (then none of them is in the log).
   */
  CompletableFuture<Void> append(List<Append> appends) {
    List<Encoded> records = new ArrayList<>(appends.size());
    for (Append append : appends) {
      records.add(encodeEvents(append));
    }
    return enqueue(records);
  }

  /**
   * Queues a deletion mark: events of {@code persistenceId} up to {@code toSequenceNr} are gone.
   */
  CompletableFuture<Void> deleteTo(String persistenceId, long toSequenceNr) {
    byte[] id = persistenceIdBytes(persistenceId);
    ByteBuffer body = ByteBuffer.allocate(1 + 2 + id.length + 8);
    body.put(DELETE).putShort((short) id.length).put(id).putLong(toSequenceNr);
    return enqueue(
        List.of(new Encoded(persistenceId, DELETE, toSequenceNr, 0, frame(body.array()))));
  }

  /** The highest sequence number ever written for the id, deleted events included; 0 if none. */
  long highestSequenceNr(String persistenceId) {
    PersistenceIdIndex entry = index.get(persistenceId);
    return entry == null ? 0 : entry.highest();
  }

  /**
   * Reads the live events of {@code persistenceId} with sequence numbers in {@code [from, to]}, at
   * most {@code max} of them, in order. Blocking file reads: call it off the actor dispatchers.
   */
  void replay(String persistenceId, long from, long to, long max, EventConsumer consumer)
      throws IOException {
    PersistenceIdIndex entry = index.get(persistenceId);
    if (entry == null || max <= 0 || from > to) {
      return;
    }
    long delivered = 0;
    for (long position : entry.positionsCovering(from, to)) {
      ByteBuffer body = readRecord(position);
      body.get();
      int idLength = body.getShort() & 0xFFFF;
      body.position(body.position() + idLength);
      long deletedTo = entry.deletedTo();
      int count = body.getInt();
      for (int i = 0; i < count; i++) {
        long sequenceNr = body.getLong();
        byte[] event = new byte[body.getInt()];
        body.get(event);
        if (sequenceNr > to) {
          return;
        }
        if (sequenceNr >= from && sequenceNr > deletedTo) {
          consumer.accept(sequenceNr, event);
          if (++delivered >= max) {
            return;
          }
        }
      }
    }
  }

  /**
   * Whether the log refuses every write because its tail could not be restored after a failed
   * write; only a restart (which cuts the torn tail off) cures it.
   */
  boolean broken() {
    return broken != null;
  }

  /** Bytes in all segment files: the log's size on disk, which only grows. */
  long sizeBytes() throws IOException {
    Segment last = segments.lastEntry().getValue();
    return last.base + last.reader().size() - segments.firstKey();
  }

  /** Writes what is queued, stops the writer and closes the files. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    // A poison pill, not an interrupt: a thread interrupted in FileChannel.write closes the
    // channel.
    queue.add(STOP);
    boolean interrupted = false;
    while (writer.isAlive()) {
      try {
        writer.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    List<Pending> left = new ArrayList<>();
    queue.drainTo(left);
    IOException closing = new IOException("journal closed");
    left.forEach(pending -> pending.done().completeExceptionally(closing));
    closeChannels();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private CompletableFuture<Void> enqueue(List<Encoded> records) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (records.isEmpty()) {
      done.complete(null);
    } else if (broken != null) {
      done.completeExceptionally(broken);
    } else if (closed) {
      done.completeExceptionally(new IOException("journal closed"));
    } else {
      queue.add(new Pending(records, done));
    }
    return done;
  }

  private void writeLoop() {
    List<Pending> batch = new ArrayList<>();
    while (true) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        // Nobody interrupts this thread (close() queues STOP); keep serving the queue.
        continue;
      }
      queue.drainTo(batch);
      for (int i = 0; i < batch.size(); i++) {
        // By identity: a record's equals would compare every queued record's bytes.
        if (batch.get(i) == STOP) {
          commit(batch.subList(0, i));
          return;
        }
      }
      commit(batch);
      batch.clear();
    }
  }

  private void commit(List<Pending> batch) {
    if (batch.isEmpty()) {
      return;
    }
    if (broken != null) {
      batch.forEach(pending -> pending.done().completeExceptionally(broken));
      return;
    }
    long started = System.nanoTime();
    List<ByteBuffer> buffers = new ArrayList<>();
    batch.forEach(pending -> pending.records().forEach(record -> buffers.add(record.bytes())));
    long bytes = 0;
    for (ByteBuffer buffer : buffers) {
      bytes += buffer.remaining();
    }
    long start = end;
    try {
      rollIfFull();
      ByteBuffer[] gathered = buffers.toArray(ByteBuffer[]::new);
      long written = 0;
      while (written < bytes) {
        written += appender.write(gathered);
      }
      appender.force(false);
    } catch (IOException e) {
      restoreTail(start);
      batch.forEach(pending -> pending.done().completeExceptionally(e));
      return;
    }
    long position = start;
    for (Pending pending : batch) {
      for (Encoded record : pending.records()) {
        PersistenceIdIndex entry =
            index.computeIfAbsent(record.persistenceId(), id -> new PersistenceIdIndex());
        if (record.kind() == EVENTS) {
          entry.addRecord(record.sequenceNr(), record.count(), position);
        } else {
          entry.deleteTo(record.sequenceNr());
        }
        position += record.bytes().capacity();
      }
    }
    end = position;
    observer.committed(buffers.size(), bytes, System.nanoTime() - started);
    batch.forEach(pending -> pending.done().complete(null));
  }

  /** After a failed write, cut the last segment back to the last durable record. */
  private void restoreTail(long start) {
    Segment last = segments.lastEntry().getValue();
    try {
      if (appender.size() > start - last.base) {
        appender.truncate(start - last.base);
      }
      appender.position(start - last.base);
      appender.force(true);
    } catch (IOException e) {
      broken = new IOException("journal tail could not be restored after a failed write", e);
    }
  }

  /** Starts a new segment at the end of the stream when the last one has reached its size. */
  private void rollIfFull() throws IOException {
    Segment last = segments.lastEntry().getValue();
    if (end - last.base < segmentBytes) {
      return;
    }
    appender.force(true);
    FileChannel previous = appender;
    appender = openAppender(end);
    segments.put(end, new Segment(end, segmentPath(end)));
    previous.close();
    syncDirectory();
  }

  /** Makes a new segment file's name durable, not only its contents. */
  private void syncDirectory() throws IOException {
    try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
      dir.force(true);
    }
  }

  private Path segmentPath(long base) {
    return directory.resolve(String.format("%020d.log", base));
  }

  private FileChannel openAppender(long base) throws IOException {
    FileChannel channel =
        FileChannel.open(segmentPath(base), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    channel.position(channel.size());
    return channel;
  }

  private Recovery recover() throws IOException {
    List<Long> bases;
    try (Stream<Path> files = Files.list(directory)) {
      bases =
          files
              .map(path -> path.getFileName().toString())
              .filter(name -> name.matches("\\d{20}\\.log"))
              .map(name -> Long.parseLong(name.substring(0, 20)))
              .sorted()
              .toList();
    }
    if (bases.isEmpty()) {
      appender = openAppender(0);
      segments.put(0L, new Segment(0, segmentPath(0)));
      syncDirectory();
      end = 0;
      return new Recovery(0, 0);
    }
    long records = 0;
    long truncated = 0;
    for (int i = 0; i < bases.size(); i++) {
      long base = bases.get(i);
      boolean last = i == bases.size() - 1;
      if (i > 0 && base != end) {
        throw new IOException(
            "journal segment "
                + segmentPath(base)
                + " does not follow the previous one, which ends at stream position "
                + end);
      }
      Segment segment = new Segment(base, segmentPath(base));
      segments.put(base, segment);
      long size = segment.reader().size();
      long offset = 0;
      try (DataInputStream in =
          new DataInputStream(
              new BufferedInputStream(Files.newInputStream(segment.path), 1 << 16))) {
        while (offset < size) {
          offset += scanRecord(in, base + offset, size - offset);
          records++;
        }
      } catch (DamagedRecord damage) {
        if (!last) {
          throw new IOException(
              "journal segment "
                  + segment.path
                  + " is damaged at byte "
                  + offset
                  + ": "
                  + damage.getMessage());
        }
        truncated = size - offset;
      }
      if (last) {
        appender = openAppender(base);
        if (truncated > 0) {
          appender.truncate(offset);
          appender.position(offset);
          appender.force(true);
        }
      }
      end = base + offset;
    }
    return new Recovery(records, truncated);
  }

  /** Reads and indexes the record at {@code position}; returns its size in bytes. */
  private int scanRecord(DataInputStream in, long position, long remaining)
      throws IOException, DamagedRecord {
    if (remaining < HEADER_BYTES) {
      throw new DamagedRecord("a record header is cut short");
    }
    int length = in.readInt();
    int checksum = in.readInt();
    if (length < MIN_BODY_BYTES || length > remaining - HEADER_BYTES) {
      throw new DamagedRecord("a record claims " + length + " bytes");
    }
    byte[] body = new byte[length];
    in.readFully(body);
    if (crc(body) != checksum) {
      throw new DamagedRecord("a record fails its checksum");
    }
    ByteBuffer buffer = ByteBuffer.wrap(body);
    byte kind = buffer.get();
    byte[] id = new byte[buffer.getShort() & 0xFFFF];
    buffer.get(id);
    PersistenceIdIndex entry =
        index.computeIfAbsent(
            new String(id, StandardCharsets.UTF_8), ignored -> new PersistenceIdIndex());
    switch (kind) {
      case EVENTS -> {
        int count = buffer.getInt();
        entry.addRecord(buffer.getLong(), count, position);
      }
      case DELETE -> entry.deleteTo(buffer.getLong());
      default -> throw new DamagedRecord("a record has unknown kind " + kind);
    }
    return HEADER_BYTES + length;
  }

  private ByteBuffer readRecord(long position) throws IOException {
    Segment holder = segments.floorEntry(position).getValue();
    FileChannel channel = holder.reader();
    long offset = position - holder.base;
    ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
    readFully(channel, header, offset);
    header.flip();
    int length = header.getInt();
    int checksum = header.getInt();
    ByteBuffer body = ByteBuffer.allocate(length);
    readFully(channel, body, offset + HEADER_BYTES);
    if (crc(body.array()) != checksum) {
      throw new IOException(
          "journal record at byte " + offset + " of " + holder.path + " fails its checksum");
    }
    return body.flip();
  }

  private static void readFully(FileChannel channel, ByteBuffer buffer, long offset)
      throws IOException {
    while (buffer.hasRemaining()) {
      int read = channel.read(buffer, offset + buffer.position());
      if (read < 0) {
        throw new EOFException("journal record at byte " + offset + " is cut short");
      }
    }
  }

  private static Encoded encodeEvents(Append append) {
    byte[] id = persistenceIdBytes(append.persistenceId());
    long length = 1 + 2 + id.length + 4;
    for (byte[] event : append.events()) {
      length += 8 + 4 + event.length;
    }
    if (length > Integer.MAX_VALUE - HEADER_BYTES) {
      throw new IllegalArgumentException(
          "an atomic write of "
              + append.events().size()
              + " events takes "
              + length
              + " bytes, more than one journal record holds");
    }
    ByteBuffer body = ByteBuffer.allocate((int) length);
    body.put(EVENTS).putShort((short) id.length).put(id).putInt(append.events().size());
    long sequenceNr = append.firstSequenceNr();
    for (byte[] event : append.events()) {
      body.putLong(sequenceNr++).putInt(event.length).put(event);
    }
    return new Encoded(
        append.persistenceId(),
        EVENTS,
        append.firstSequenceNr(),
        append.events().size(),
        frame(body.array()));
  }

  private static byte[] persistenceIdBytes(String persistenceId) {
    byte[] id = persistenceId.getBytes(StandardCharsets.UTF_8);
    if (id.length > 0xFFFF) {
      throw new IllegalArgumentException(
          "persistence id of " + id.length + " bytes is longer than the journal's 65535");
    }
    return id;
  }

  private static ByteBuffer frame(byte[] body) {
    ByteBuffer record = ByteBuffer.allocate(HEADER_BYTES + body.length);
    record.putInt(body.length).putInt(crc(body)).put(body);
    return record.flip();
  }

  private static int crc(byte[] body) {
    CRC32C crc = new CRC32C();
    crc.update(body);
    return (int) crc.getValue();
  }

  private void closeChannels() {
    try {
      if (appender != null) {
        appender.close();
      }
      for (Segment segment : segments.values()) {
        segment.close();
      }
      lock.release();
      lockChannel.close();
    } catch (IOException ignored) {
      // Everything written was forced before its future completed; the lock goes with the process.
    }
  }

  /**
   * Per persistence id: highest sequence number, deletion mark and its live records, packed three
   * longs per record (first sequence number, event count, stream position) in one array that starts
   * with room for one record, because most ids (a transaction's coordinator, a saga) write a few
   * records in their life. About 210 bytes of heap for an id with one record, key included.
   */
  private static final class PersistenceIdIndex {
    private static final int STRIDE = 3;
    private long highest;
    private long deletedTo;
    private long[] records = new long[STRIDE];
    private int size;

    synchronized long highest() {
      return highest;
    }

    synchronized long deletedTo() {
      return deletedTo;
    }

    private long first(int record) {
      return records[record * STRIDE];
    }

    private long last(int record) {
      return records[record * STRIDE] + records[record * STRIDE + 1] - 1;
    }

    synchronized void addRecord(long firstSequenceNr, int count, long position) {
      if ((size + 1) * STRIDE > records.length) {
        records = Arrays.copyOf(records, records.length * 2);
      }
      records[size * STRIDE] = firstSequenceNr;
      records[size * STRIDE + 1] = count;
      records[size * STRIDE + 2] = position;
      size++;
      highest = Math.max(highest, firstSequenceNr + count - 1);
    }

    /** Marks events up to {@code toSequenceNr} deleted and forgets records wholly below it. */
    synchronized void deleteTo(long toSequenceNr) {
      deletedTo = Math.max(deletedTo, Math.min(toSequenceNr, highest));
      int dead = 0;
      while (dead < size && last(dead) <= deletedTo) {
        dead++;
      }
      if (dead > 0) {
        size -= dead;
        System.arraycopy(records, dead * STRIDE, records, 0, size * STRIDE);
      }
    }

    /** Positions of the records that may hold events in {@code [from, to]}, in order. */
    synchronized long[] positionsCovering(long from, long to) {
      int low = 0;
      int high = size;
      while (low < high) {
        int middle = (low + high) >>> 1;
        if (last(middle) < from) {
          low = middle + 1;
        } else {
          high = middle;
        }
      }
      int stop = low;
      while (stop < size && first(stop) <= to) {
        stop++;
      }
      long[] positions = new long[stop - low];
      for (int i = low; i < stop; i++) {
        positions[i - low] = records[i * STRIDE + 2];
      }
      return positions;
    }
  }
}
