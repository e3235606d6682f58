package dev.cohort.persistence.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentLogTest {
  private static final SegmentLog.CommitObserver IGNORE = (records, bytes, nanos) -> {};

  @TempDir Path directory;

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static List<String> replay(SegmentLog log, String id, long from, long to, long max)
      throws IOException {
    List<String> seen = new ArrayList<>();
    log.replay(
        id,
        from,
        to,
        max,
        (sequenceNr, event) ->
            seen.add(sequenceNr + "=" + new String(event, StandardCharsets.UTF_8)));
    return seen;
  }

  private static void append(SegmentLog log, String id, long first, String... events)
      throws Exception {
    List<byte[]> encoded = Stream.of(events).map(SegmentLogTest::bytes).toList();
    log.append(List.of(new SegmentLog.Append(id, first, encoded))).get(10, TimeUnit.SECONDS);
  }

  private List<Path> segmentFiles() throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.filter(p -> p.toString().endsWith(".log")).sorted().toList();
    }
  }

  @Test
  void eventsReplayInRangeAndSurviveReopening() throws Exception {
    try (SegmentLog log = SegmentLog.open(directory, 1 << 20, IGNORE)) {
      append(log, "a", 1, "one", "two");
      append(log, "b", 1, "b-one");
      append(log, "a", 3, "three");
      assertEquals(3, log.highestSequenceNr("a"));
      assertEquals(0, log.highestSequenceNr("never-written"));
    }
    try (SegmentLog log = SegmentLog.open(directory, 1 << 20, IGNORE)) {
      assertEquals(3, log.recovery().records());
      assertEquals(0, log.recovery().truncatedBytes());
      assertEquals(List.of("1=one", "2=two", "3=three"), replay(log, "a", 1, Long.MAX_VALUE, 100));
      assertEquals(List.of("2=two", "3=three"), replay(log, "a", 2, 3, 100));
      assertEquals(List.of("2=two"), replay(log, "a", 2, 3, 1));
      assertEquals(List.of("1=b-one"), replay(log, "b", 0, Long.MAX_VALUE, 100));
      assertEquals(List.of(), replay(log, "a", 4, Long.MAX_VALUE, 100));
      append(log, "a", 4, "four");
      assertEquals(4, log.highestSequenceNr("a"));
    }
    try (SegmentLog log = SegmentLog.open(directory, 1 << 20, IGNORE)) {
      assertEquals(List.of("3=three", "4=four"), replay(log, "a", 3, Long.MAX_VALUE, 100));
    }
  }

  @Test
  void deletedEventsAreNotReplayedButTheHighestSequenceNumberStays() throws Exception {
    try (SegmentLog log = SegmentLog.open(directory, 1 << 20, IGNORE)) {
      append(log, "a", 1, "one", "two");
      append(log, "a", 3, "three");
      log.deleteTo("a", 2).get(10, TimeUnit.SECONDS);
      assertEquals(List.of("3=three"), replay(log, "a", 1, Long.MAX_VALUE, 100));
      log.deleteTo("a", Long.MAX_VALUE).get(10, TimeUnit.SECONDS);
      assertEquals(List.of(), replay(log, "a", 1, Long.MAX_VALUE, 100));
      assertEquals(3, log.highestSequenceNr("a"));
    }
    try (SegmentLog log = SegmentLog.open(directory, 1 << 20, IGNORE)) {
      assertEquals(List.of(), replay(log, "a", 1, Long.MAX_VALUE, 100));
      assertEquals(3, log.highestSequenceNr("a"));
      append(log, "a", 4, "four");
      assertEquals(List.of("4=four"), replay(log, "a", 1, Long.MAX_VALUE, 100));
    }
  }

  @Test
  void concurrentWritersShareCommitsAndEachKeepsItsOrder() throws Exception {
    int writers = 16;
    int eventsEach = 200;
    AtomicInteger commits = new AtomicInteger();
    try (SegmentLog log =
        SegmentLog.open(directory, 1 << 20, (records, bytes, nanos) -> commits.incrementAndGet())) {
      List<CompletableFuture<Void>> done = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        String id = "writer-" + w;
        done.add(
            CompletableFuture.runAsync(
                () -> {
                  for (int n = 1; n <= eventsEach; n++) {
                    log.append(List.of(new SegmentLog.Append(id, n, List.of(bytes("e" + n)))))
                        .join();
                  }
                },
                Thread::startVirtualThread));
      }
      CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      assertTrue(
          commits.get() < writers * eventsEach,
          "expected writes to share fsyncs, got "
              + commits.get()
              + " commits for "
              + writers * eventsEach
              + " writes");
    }
    try (SegmentLog log = SegmentLog.open(directory, 1 << 20, IGNORE)) {
      for (int w = 0; w < writers; w++) {
        List<String> events = replay(log, "writer-" + w, 1, Long.MAX_VALUE, Long.MAX_VALUE);
        assertEquals(eventsEach, events.size());
        for (int n = 1; n <= eventsEach; n++) {
          assertEquals(n + "=e" + n, events.get(n - 1));
        }
      }
    }
  }

  @Test
  void segmentsRollAndReplaySpansThem() throws Exception {
    String payload = "x".repeat(1000);
    try (SegmentLog log = SegmentLog.open(directory, 8 * 1024, IGNORE)) {
      for (int n = 1; n <= 50; n++) {
        append(log, "a", n, payload + n);
      }
    }
    assertTrue(segmentFiles().size() >= 5, "segments: " + segmentFiles());
    try (SegmentLog log = SegmentLog.open(directory, 8 * 1024, IGNORE)) {
      List<String> events = replay(log, "a", 1, Long.MAX_VALUE, Long.MAX_VALUE);
      assertEquals(50, events.size());
      assertEquals("50=" + payload + 50, events.get(49));
      assertEquals(List.of("25=" + payload + 25), replay(log, "a", 25, 25, 10));
    }
  }

  @Test
  void aTornWriteAtTheEndIsCutOffAndTheLogGoesOn() throws Exception {
    try (SegmentLog log = SegmentLog.open(directory, 1 << 20, IGNORE)) {
      append(log, "a", 1, "one", "two");
    }
    Path last = segmentFiles().getLast();
    long intact = Files.size(last);
    // A crash in the middle of a record: its header promises more bytes than reached the disk.
    Files.write(last, new byte[] {0, 0, 0, 40, 1, 2, 3, 4, 1, 0}, StandardOpenOption.APPEND);
    try (SegmentLog log = SegmentLog.open(directory, 1 << 20, IGNORE)) {
      assertEquals(10, log.recovery().truncatedBytes());
      assertEquals(intact, Files.size(last));
      assertEquals(List.of("1=one", "2=two"), replay(log, "a", 1, Long.MAX_VALUE, 100));
      append(log, "a", 3, "three");
    }
    // A whole record whose bytes were damaged fails its checksum and is cut off the same way.
    long beforeDamage = Files.size(last);
    try (SegmentLog log = SegmentLog.open(directory, 1 << 20, IGNORE)) {
      append(log, "a", 4, "four");
    }
    byte[] content = Files.readAllBytes(last);
    content[content.length - 2] ^= 0x55;
    Files.write(last, content);
    try (SegmentLog log = SegmentLog.open(directory, 1 << 20, IGNORE)) {
      assertEquals(content.length - beforeDamage, log.recovery().truncatedBytes());
      assertEquals(List.of("1=one", "2=two", "3=three"), replay(log, "a", 1, Long.MAX_VALUE, 100));
    }
  }

  @Test
  void damageBeforeTheLastSegmentStopsTheOpenAndNamesTheFile() throws Exception {
    try (SegmentLog log = SegmentLog.open(directory, 4 * 1024, IGNORE)) {
      for (int n = 1; n <= 20; n++) {
        append(log, "a", n, "y".repeat(1000));
      }
    }
    Path first = segmentFiles().getFirst();
    byte[] content = Files.readAllBytes(first);
    content[20] ^= 0x01;
    Files.write(first, content);
    IOException error =
        assertThrows(IOException.class, () -> SegmentLog.open(directory, 4 * 1024, IGNORE));
    assertTrue(error.getMessage().contains(first.getFileName().toString()), error.getMessage());
    assertEquals(content.length, Files.size(first), "nothing is repaired before the last segment");
  }

  @Test
  void aDirectoryOpenedByOneLogIsRefusedToASecond() throws Exception {
    try (SegmentLog log = SegmentLog.open(directory, 1 << 20, IGNORE)) {
      IOException error =
          assertThrows(IOException.class, () -> SegmentLog.open(directory, 1 << 20, IGNORE));
      assertTrue(error.getMessage().contains("in use"), error.getMessage());
      append(log, "a", 1, "still writable");
    }
    try (SegmentLog log = SegmentLog.open(directory, 1 << 20, IGNORE)) {
      assertEquals(List.of("1=still writable"), replay(log, "a", 1, 1, 1));
    }
  }

  @Test
  void writesAfterCloseFailInsteadOfVanishing() throws Exception {
    SegmentLog log = SegmentLog.open(directory, 1 << 20, IGNORE);
    log.close();
    CompletableFuture<Void> late =
        log.append(List.of(new SegmentLog.Append("a", 1, List.of(bytes("late")))));
    assertTrue(late.isCompletedExceptionally());
  }
}
