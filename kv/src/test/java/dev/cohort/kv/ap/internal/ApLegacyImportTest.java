package dev.cohort.kv.ap.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upgrading from the Distributed Data version: {@code src/test/resources/ap-legacy/ddata} holds
 * four bucket files that version's durable store wrote (keyspace {@code legacy}, incarnation 3,
 * keys {@code user/0..99}, every key ending in 7 deleted, writers alternating between two nodes).
 */
class ApLegacyImportTest {
  private static final ActorTestKit kit =
      ActorTestKit.create(
          "ApLegacyImportTest",
          ConfigFactory.parseString("pekko.actor.provider = local")
              .withFallback(ConfigFactory.load()));

  @TempDir Path dir;

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private Path copyFixture() throws IOException {
    Path ddata = Files.createDirectories(dir.resolve("ddata"));
    try (Stream<Path> files = Files.list(Path.of("src/test/resources/ap-legacy/ddata"))) {
      for (Path f : files.toList()) {
        Files.copy(f, ddata.resolve(f.getFileName()));
      }
    }
    return ddata;
  }

  @Test
  void everyEntryOfTheOldFilesIsInTheStoreWithItsTimestampAndWriter() throws IOException {
    Path ddata = copyFixture();
    try (ApStore store = ApStore.open(dir.resolve("ap"), true, ForkJoinPool.commonPool())) {
      assertEquals(100, ApLegacyImport.run(ddata, store, kit.system()));
      for (int k = 0; k < 100; k++) {
        ApEntry e = store.get("legacy", 3, "user/" + k);
        assertEquals(k % 10 == 7, e.isTombstone(), "user/" + k);
        assertEquals(1_790_000_000_000L + k, HybridLogicalClock.physicalMillis(e.timestamp()));
        if (!e.isTombstone()) {
          assertEquals("value-" + k, new String(e.value(), StandardCharsets.UTF_8));
          assertEquals(
              k % 2 == 0 ? "pekko://cohort@127.0.0.1:2552" : "pekko://cohort@127.0.0.1:2553",
              e.writer());
        }
      }
      assertTrue(Files.isDirectory(dir.resolve("ddata.imported")));
      assertTrue(Files.notExists(ddata));
      assertEquals(0, ApLegacyImport.run(ddata, store, kit.system()), "runs once");
    }
  }

  /** A damaged file stops the import instead of being skipped: its data would be lost silently. */
  @Test
  void aDamagedFileStopsTheImportAndLeavesTheDirectory() throws IOException {
    Path ddata = copyFixture();
    Path victim;
    try (Stream<Path> files = Files.list(ddata)) {
      victim = files.sorted().findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(victim);
    bytes[bytes.length / 2] ^= 0x5a;
    Files.write(victim, bytes);
    try (ApStore store = ApStore.open(dir.resolve("ap"), true, ForkJoinPool.commonPool())) {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class, () -> ApLegacyImport.run(ddata, store, kit.system()));
      assertTrue(e.getMessage().contains("checksum"), e.getMessage());
      assertTrue(Files.isDirectory(ddata));
    }
  }
}
