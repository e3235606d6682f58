package dev.cohort.kv.ap.internal;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/**
 * Upgrades a node from the Distributed Data version of AP keyspaces: reads every bucket file that
 * version's durable store left in {@code <data-dir>/ddata} and merges each entry (values and
 * tombstones, with their original timestamps and writers) into the node's {@link ApStore}, then
 * renames the directory to {@code ddata.imported}. Each old node held every key, so each node
 * imports every key, including keys it is not a replica of now; those extra copies are served by
 * range reads and cost space until the keyspace is dropped, and nothing is lost.
 *
 * <p>File format (read-only here): int magic {@code 0x43444431}, UTF key id, int Pekko serializer
 * id, UTF manifest, int length, the serialized {@link ApBucket}, int CRC-32 of everything before. A
 * file that fails its checksum or does not parse stops the start-up with an error naming it:
 * skipping it would lose its data silently. Runs once, before the node serves.
 */
final class ApLegacyImport {
  private static final int MAGIC = 0x43444431;
  private static final String PREFIX = "kvap:";

  private ApLegacyImport() {}

  /** Imports {@code directory} into {@code store} if it exists; answers the entries imported. */
  static long run(Path directory, ApStore store, ActorSystem<?> system) {
    if (!Files.isDirectory(directory)) {
      return 0;
    }
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(system));
    List<CompletableFuture<ApStore.Applied>> applied = new ArrayList<>();
    try (Stream<Path> files = Files.list(directory)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".ddata")).sorted().toList()) {
        importFile(file, serialization, store, applied);
      }
      CompletableFuture.allOf(applied.toArray(CompletableFuture[]::new)).join();
      Path done = directory.resolveSibling(directory.getFileName() + ".imported");
      Files.move(directory, done);
      system
          .log()
          .info(
              "AP keyspaces: imported {} entries of the Distributed Data version from {}"
                  + " (now {})",
              applied.size(),
              directory,
              done);
      return applied.size();
    } catch (IOException e) {
      throw new IllegalStateException(
          "AP keyspaces: cannot import the Distributed Data files in "
              + directory
              + " ("
              + e.getMessage()
              + "); fix or move the file and start again",
          e);
    }
  }

  private static void importFile(
      Path file,
      Serialization serialization,
      ApStore store,
      List<CompletableFuture<ApStore.Applied>> applied)
      throws IOException {
    byte[] all = Files.readAllBytes(file);
    if (all.length < 8) {
      throw new IOException("truncated file " + file);
    }
    CRC32 crc = new CRC32();
    crc.update(all, 0, all.length - 4);
    if ((int) crc.getValue() != ByteBuffer.wrap(all, all.length - 4, 4).getInt()) {
      throw new IOException("checksum mismatch in " + file);
    }
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(all));
    if (in.readInt() != MAGIC) {
      throw new IOException("bad magic in " + file);
    }
    String id = in.readUTF();
    int serializerId = in.readInt();
    String manifest = in.readUTF();
    byte[] payload = new byte[in.readInt()];
    in.readFully(payload);
    if (!id.startsWith(PREFIX)) {
      return;
    }
    // kvap:<keyspace>:<incarnation>:<bucket>
    String[] parts = id.split(":");
    String keyspace = parts[1];
    long incarnation = Long.parseLong(parts[2]);
    Object data = serialization.deserialize(payload, serializerId, manifest).get();
    ((ApBucket) data)
        .entries()
        .forEach((key, entry) -> applied.add(store.apply(keyspace, incarnation, key, entry)));
  }
}
