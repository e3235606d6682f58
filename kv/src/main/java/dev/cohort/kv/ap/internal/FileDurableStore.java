package dev.cohort.kv.ap.internal;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.apache.pekko.actor.AbstractActorWithTimers;
import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.ddata.DurableStore;
import org.apache.pekko.cluster.ddata.DurableStore.DurableDataEnvelope;
import org.apache.pekko.cluster.ddata.ReplicatedData;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;

/**
 * Distributed Data's durable store for AP keyspaces, in plain files: Pekko's own store needs LMDB
 * (native code through lmdbjava) and a fixed-size memory map, neither of which Cohort wants in its
 * data directory. It speaks the protocol of {@link DurableStore}: {@code LoadAll} answered by
 * {@code LoadData} and {@code LoadAllCompleted}; {@code Store} of one key's data, acknowledged to the
 * replicator's {@code StoreReply} only once written.
 *
 * <p><b>Format.</b> One file per Distributed Data key, {@code <url-encoded key id>.ddata}, holding:
 * int magic {@code 0x43444431} ("CDD1"), UTF key id, int Pekko serializer id, UTF manifest, int
 * length, the serialized data (for AP buckets, Cohort's Kryo bytes of {@link ApBucket}), and an
 * int CRC-32 of everything before it. Only the data is kept, not Distributed Data's pruning
 * bookkeeping (AP buckets carry no per-node state to prune).
 *
 * <p><b>Invariants.</b> A file is replaced atomically: written to {@code .tmp}, forced to the
 * device when {@code fsync} is on, then renamed over the old one (and the directory forced), so a
 * crash leaves the old or the new content, never a mix. A {@code Store} carrying a reply (a write
 * this node acknowledges) is written before the reply is sent; stores that arrive together are
 * written in one flush, each key once (group commit). Stores without a reply (changes that arrived
 * by replication) wait up to {@code writeBehind}; a crash may lose them, and replication brings
 * them back. A file that fails its checksum is renamed to {@code .corrupt} and skipped with an
 * error log: the other replicas still hold its data.
 *
 * <p>Thread-safety: an actor; it runs on the blocking-IO dispatcher because it calls {@code
 * fsync}.
 */
public final class FileDurableStore extends AbstractActorWithTimers {
  private static final int MAGIC = 0x43444431;
  private static final String SUFFIX = ".ddata";

  /** Sent to itself only. */
  private enum Flush implements org.apache.pekko.actor.NoSerializationVerificationNeeded {
    INSTANCE
  }

  public static Props props(Path directory, boolean fsync, Duration writeBehind) {
    return Props.create(FileDurableStore.class, () -> new FileDurableStore(directory, fsync, writeBehind))
        .withDispatcher("pekko.actor.default-blocking-io-dispatcher");
  }

  private final Path directory;
  private final boolean fsync;
  private final Duration writeBehind;
  private final LoggingAdapter log = Logging.getLogger(getContext().getSystem(), this);
  private final Serialization serialization = SerializationExtension.get(getContext().getSystem());
  private final Map<String, DurableDataEnvelope> pending = new LinkedHashMap<>();
  private final List<DurableStore.StoreReply> replies = new ArrayList<>();
  private boolean flushQueued;

  private FileDurableStore(Path directory, boolean fsync, Duration writeBehind) {
    this.directory = directory;
    this.fsync = fsync;
    this.writeBehind = writeBehind;
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(DurableStore.LoadAll$.class, m -> onLoadAll())
        .match(DurableStore.Store.class, this::onStore)
        .matchEquals(Flush.INSTANCE, m -> flush())
        .build();
  }

  @Override
  public void postStop() {
    // Stores still waiting for write-behind; stores still in the mailbox are lost (replication
    // brings them back), acknowledged ones never are: they were written before their reply.
    writePending();
  }

  @SuppressWarnings("unchecked") // Scala's Map.updated, seen from Java, widens the value type
  private void onLoadAll() throws IOException {
    Files.createDirectories(directory);
    scala.collection.immutable.Map<String, DurableDataEnvelope> loaded =
        scala.collection.immutable.Map$.MODULE$.empty();
    int files = 0;
    try (DirectoryStream<Path> all = Files.newDirectoryStream(directory, "*" + SUFFIX)) {
      for (Path file : all) {
        try {
          Loaded entry = read(file);
          loaded = loaded.updated(entry.key(), new DurableDataEnvelope(entry.data()));
          files++;
        } catch (IOException | RuntimeException e) {
          log.error(e, "AP durable store: skipping unreadable {}; its data must come back from "
              + "the other replicas", file);
          Files.move(file, file.resolveSibling(file.getFileName() + ".corrupt"),
              StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    log.info("AP durable store: loaded {} entries from {}", files, directory);
    if (!loaded.isEmpty()) {
      getSender().tell(new DurableStore.LoadData(loaded), getSelf());
    }
    getSender().tell(DurableStore.LoadAllCompleted$.MODULE$, getSelf());
  }

  private void onStore(DurableStore.Store store) {
    pending.put(store.key(), store.data());
    if (store.reply().isDefined()) {
      replies.add(store.reply().get());
      if (!flushQueued) {
        // Behind every message already in the mailbox: stores that arrived meanwhile share the flush.
        flushQueued = true;
        getSelf().tell(Flush.INSTANCE, getSelf());
      }
    } else if (!getTimers().isTimerActive(Flush.INSTANCE)) {
      getTimers().startSingleTimer(Flush.INSTANCE, Flush.INSTANCE, writeBehind);
    }
  }

  private void flush() {
    flushQueued = false;
    getTimers().cancel(Flush.INSTANCE);
    writePending();
  }

  private void writePending() {
    if (pending.isEmpty()) {
      return;
    }
    boolean ok = true;
    try {
      for (Map.Entry<String, DurableDataEnvelope> e : pending.entrySet()) {
        write(e.getKey(), e.getValue().data());
      }
      if (fsync) {
        try (var dir = java.nio.channels.FileChannel.open(directory, StandardOpenOption.READ)) {
          dir.force(true);
        }
      }
    } catch (IOException | RuntimeException e) {
      ok = false;
      log.error(e, "AP durable store: writing {} entries to {} failed", pending.size(), directory);
    }
    pending.clear();
    for (DurableStore.StoreReply reply : replies) {
      reply.replyTo().tell(ok ? reply.successMsg() : reply.failureMsg(), getSelf());
    }
    replies.clear();
  }

  private void write(String key, ReplicatedData data) throws IOException {
    Serializer serializer = serialization.findSerializerFor(data);
    byte[] payload = serializer.toBinary(data);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(payload.length + 128);
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(MAGIC);
    out.writeUTF(key);
    out.writeInt(serializer.identifier());
    out.writeUTF(Serializers.manifestFor(serializer, data));
    out.writeInt(payload.length);
    out.write(payload);
    CRC32 crc = new CRC32();
    crc.update(bytes.toByteArray());
    out.writeInt((int) crc.getValue());
    out.flush();
    Path file = directory.resolve(URLEncoder.encode(key, StandardCharsets.UTF_8) + SUFFIX);
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (var channel =
        java.nio.channels.FileChannel.open(
            tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes.toByteArray());
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      if (fsync) {
        channel.force(true);
      }
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private record Loaded(String key, ReplicatedData data) {}

  private Loaded read(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    if (all.length < 8) {
      throw new IOException("truncated durable entry " + file);
    }
    CRC32 crc = new CRC32();
    crc.update(all, 0, all.length - 4);
    int stored = ByteBuffer.wrap(all, all.length - 4, 4).getInt();
    if ((int) crc.getValue() != stored) {
      throw new IOException("checksum mismatch in durable entry " + file);
    }
    DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(all));
    if (in.readInt() != MAGIC) {
      throw new IOException("not a durable entry (bad magic): " + file);
    }
    String key = in.readUTF();
    int serializerId = in.readInt();
    String manifest = in.readUTF();
    byte[] payload = new byte[in.readInt()];
    in.readFully(payload);
    String expectedName = URLDecoder.decode(
        file.getFileName().toString().replace(SUFFIX, ""), StandardCharsets.UTF_8);
    if (!expectedName.equals(key)) {
      throw new IOException("durable entry " + file + " holds key " + key);
    }
    Object data = serialization.deserialize(payload, serializerId, manifest).get();
    return new Loaded(key, (ReplicatedData) data);
  }
}
