package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Dependencies point one way (DESIGN.md): a module's main sources import only modules below it,
 * and never another module's {@code internal} package.
 */
class LayeringTest {
  /** Module directory → its Java package under dev.cohort. */
  private static final Map<String, String> PACKAGES =
      Map.ofEntries(
          Map.entry("observability", "observability"),
          Map.entry("persistence", "persistence"),
          Map.entry("cluster", "cluster"),
          Map.entry("sharding", "sharding"),
          Map.entry("kv", "kv"),
          Map.entry("stream-log", "log"),
          Map.entry("saga", "saga"),
          Map.entry("training-actors", "training"),
          Map.entry("gateway", "gateway"),
          Map.entry("platform", "platform"),
          Map.entry("bench", "bench"));

  /** What each module may import (besides itself), following DESIGN.md's arrows. */
  private static final Map<String, Set<String>> ALLOWED =
      Map.ofEntries(
          Map.entry("observability", Set.of()),
          Map.entry("persistence", Set.of("observability")),
          Map.entry("cluster", Set.of("observability", "persistence")),
          Map.entry("sharding", Set.of("observability", "persistence", "cluster")),
          Map.entry("kv", Set.of("observability", "persistence", "cluster", "sharding")),
          Map.entry("log", Set.of("observability", "persistence", "cluster", "sharding")),
          Map.entry(
              "saga", Set.of("observability", "persistence", "cluster", "sharding", "kv", "log")),
          Map.entry(
              "training",
              Set.of("observability", "persistence", "cluster", "sharding", "kv", "log")),
          Map.entry(
              "gateway",
              Set.of(
                  "observability", "persistence", "cluster", "sharding", "kv", "log", "saga",
                  "training")),
          Map.entry(
              "platform",
              Set.of(
                  "observability", "persistence", "cluster", "sharding", "kv", "log", "saga",
                  "training", "gateway")),
          Map.entry(
              "bench",
              Set.of(
                  "observability", "persistence", "cluster", "sharding", "kv", "log", "saga",
                  "training", "gateway", "platform")));

  private static final Pattern IMPORT =
      Pattern.compile("^import\\s+(?:static\\s+)?dev\\.cohort\\.([a-z]+)((?:\\.[A-Za-z_]+)*)", Pattern.MULTILINE);

  @Test
  void modulesImportOnlyDownwardAndOnlyPublicPackages() throws IOException {
    Path root = Path.of("").toAbsolutePath().getParent();
    List<String> violations = new ArrayList<>();
    int files = 0;
    for (Map.Entry<String, String> module : PACKAGES.entrySet()) {
      Path sources = root.resolve(module.getKey()).resolve("src/main/java");
      if (!Files.isDirectory(sources)) {
        continue;
      }
      try (Stream<Path> walk = Files.walk(sources)) {
        for (Path file : walk.filter(p -> p.toString().endsWith(".java")).toList()) {
          files++;
          violations.addAll(check(module.getValue(), root.relativize(file), Files.readString(file)));
        }
      }
    }
    assertTrue(files > 20, "scanned too few files (" + files + "): wrong root " + root);
    assertEquals(List.of(), violations);
  }

  @Test
  void theRuleCatchesAnUpwardImportAndAnInternalOne() {
    assertEquals(
        1, check("cluster", Path.of("X.java"), "import dev.cohort.gateway.Json;\n").size());
    assertEquals(
        1,
        check("gateway", Path.of("X.java"), "import dev.cohort.kv.internal.Partition;\n").size());
    assertEquals(0, check("gateway", Path.of("X.java"), "import dev.cohort.kv.Kv;\n").size());
  }

  private static List<String> check(String module, Path file, String source) {
    List<String> violations = new ArrayList<>();
    Matcher m = IMPORT.matcher(source);
    while (m.find()) {
      String target = m.group(1);
      if (target.equals(module)) {
        continue;
      }
      if (!ALLOWED.getOrDefault(module, Set.of()).contains(target)) {
        violations.add(file + ": " + module + " must not import dev.cohort." + target);
      } else if (m.group(2).startsWith(".internal")) {
        violations.add(file + ": imports dev.cohort." + target + ".internal (use its public API)");
      }
    }
    return violations;
  }
}
