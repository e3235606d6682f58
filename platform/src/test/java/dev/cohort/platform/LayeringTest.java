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
 * Dependencies point one way (DESIGN.md): a module's main sources import only modules below it, and
 * never another module's {@code internal} package; inside a module, a public class and an internal
 * class never refer to each other (the public API may use its internals, and internals implement
 * the API, but not both at once for one pair).
 */
class LayeringTest {
  /** Module directory → its Java package under dev.cohort. */
  private static final Map<String, String> PACKAGES =
      Map.ofEntries(
          Map.entry("observability", "observability"),
          Map.entry("persistence", "persistence"),
          Map.entry("testkit", "testkit"),
          Map.entry("cluster", "cluster"),
          Map.entry("sharding", "sharding"),
          Map.entry("security", "security"),
          Map.entry("kv", "kv"),
          Map.entry("etcd-api", "etcd"),
          Map.entry("stream-log", "log"),
          Map.entry("saga", "saga"),
          Map.entry("training-actors", "training"),
          Map.entry("kafka-protocol", "kafka"),
          Map.entry("gateway", "gateway"),
          Map.entry("platform", "platform"),
          Map.entry("bench", "bench"));

  /** What each module may import (besides itself), following DESIGN.md's arrows. */
  private static final Map<String, Set<String>> ALLOWED =
      Map.ofEntries(
          Map.entry("observability", Set.of()),
          Map.entry("persistence", Set.of("observability")),
          Map.entry("testkit", Set.of("observability", "persistence")),
          Map.entry("cluster", Set.of("observability", "persistence")),
          Map.entry("sharding", Set.of("observability", "persistence", "cluster")),
          Map.entry("security", Set.of("observability", "persistence", "cluster", "sharding")),
          Map.entry("kv", Set.of("observability", "persistence", "cluster", "sharding")),
          Map.entry(
              "etcd",
              Set.of("observability", "persistence", "cluster", "sharding", "security", "kv")),
          Map.entry("log", Set.of("observability", "persistence", "cluster", "sharding")),
          Map.entry(
              "saga", Set.of("observability", "persistence", "cluster", "sharding", "kv", "log")),
          Map.entry(
              "training",
              Set.of("observability", "persistence", "cluster", "sharding", "kv", "log")),
          Map.entry(
              "kafka",
              Set.of("observability", "persistence", "cluster", "sharding", "security", "log")),
          Map.entry(
              "gateway",
              Set.of(
                  "observability",
                  "persistence",
                  "cluster",
                  "sharding",
                  "security",
                  "kv",
                  "etcd",
                  "log",
                  "saga",
                  "training")),
          Map.entry(
              "platform",
              Set.of(
                  "observability",
                  "persistence",
                  "cluster",
                  "sharding",
                  "security",
                  "kv",
                  "etcd",
                  "log",
                  "saga",
                  "training",
                  "kafka",
                  "gateway")),
          Map.entry(
              "bench",
              Set.of(
                  "observability",
                  "persistence",
                  "cluster",
                  "sharding",
                  "security",
                  "kv",
                  "etcd",
                  "log",
                  "saga",
                  "training",
                  "kafka",
                  "gateway",
                  "platform")));

  private static final Pattern IMPORT =
      Pattern.compile(
          "^import\\s+(?:static\\s+)?dev\\.cohort\\.([a-z]+)((?:\\.[A-Za-z_]+)*)",
          Pattern.MULTILINE);

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
          violations.addAll(
              check(module.getValue(), root.relativize(file), Files.readString(file)));
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

  /** A class's name and the dev.cohort classes its code names (imports and qualified names). */
  private record ClassRefs(String name, Set<String> refs) {
    boolean isInternal() {
      return name.contains(".internal.");
    }
  }

  private static final Pattern PACKAGE =
      Pattern.compile("^package\\s+([\\w.]+);", Pattern.MULTILINE);
  private static final Pattern QUALIFIED =
      Pattern.compile("\\b(dev\\.cohort\\.[a-z][\\w.]*?\\.[A-Z]\\w*)");
  private static final Pattern COMMENTS = Pattern.compile("//[^\\n]*|/\\*.*?\\*/", Pattern.DOTALL);

  static ClassRefs refs(String fileName, String source) {
    String code = COMMENTS.matcher(source).replaceAll("");
    Matcher pkg = PACKAGE.matcher(code);
    String name = (pkg.find() ? pkg.group(1) + "." : "") + fileName.replace(".java", "");
    Set<String> refs = new java.util.HashSet<>();
    Matcher q = QUALIFIED.matcher(code);
    while (q.find()) {
      refs.add(q.group(1));
    }
    refs.remove(name);
    return new ClassRefs(name, refs);
  }

  /** Pairs of one public and one internal class of a module that refer to each other. */
  static List<String> cycles(List<ClassRefs> module) {
    Map<String, ClassRefs> byName = new java.util.HashMap<>();
    module.forEach(c -> byName.put(c.name(), c));
    List<String> cycles = new ArrayList<>();
    for (ClassRefs api : module) {
      if (api.isInternal()) {
        continue;
      }
      for (String ref : api.refs()) {
        ClassRefs internal = byName.get(ref);
        if (internal != null && internal.isInternal() && internal.refs().contains(api.name())) {
          cycles.add(api.name() + " <-> " + internal.name());
        }
      }
    }
    return cycles;
  }

  @Test
  void noPublicClassAndInternalClassOfAModuleReferToEachOther() throws IOException {
    Path root = Path.of("").toAbsolutePath().getParent();
    List<String> violations = new ArrayList<>();
    for (String module : PACKAGES.keySet()) {
      Path sources = root.resolve(module).resolve("src/main/java");
      if (!Files.isDirectory(sources)) {
        continue;
      }
      List<ClassRefs> classes = new ArrayList<>();
      try (Stream<Path> walk = Files.walk(sources)) {
        for (Path file : walk.filter(p -> p.toString().endsWith(".java")).toList()) {
          classes.add(refs(file.getFileName().toString(), Files.readString(file)));
        }
      }
      violations.addAll(cycles(classes));
    }
    assertEquals(List.of(), violations);
  }

  @Test
  void theCycleRuleCatchesAPublicRecordCallingAnInternalHelperThatNamesIt() {
    ClassRefs api =
        refs(
            "Order.java",
            "package dev.cohort.saga;\nimport dev.cohort.saga.internal.OrderJson;\n"
                + "record Order() { String json() { return OrderJson.write(this); } }");
    ClassRefs helper =
        refs(
            "OrderJson.java",
            "package dev.cohort.saga.internal;\nimport dev.cohort.saga.Order;\n"
                + "/** Writes {@link dev.cohort.saga.Other}. */ class OrderJson {}");
    assertEquals(
        List.of("dev.cohort.saga.Order <-> dev.cohort.saga.internal.OrderJson"),
        cycles(List.of(api, helper)));
    ClassRefs oneWay =
        refs("OrderJson.java", "package dev.cohort.saga.internal;\nclass OrderJson {}");
    assertEquals(List.of(), cycles(List.of(api, oneWay)));
    assertEquals(Set.of(), refs("X.java", "package a;\n// dev.cohort.kv.Kv\nclass X {}").refs());
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
