package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The README's "Embedded" section tried as a new user would: a project outside this tree that
 * declares the README's dependency block is compiled by Maven against the installed artifacts, and
 * the README's Java program runs unchanged. Both are read from README.md, so the test fails when
 * the README drifts from what works.
 *
 * <p>The artifacts are installed into a private local repository, never the shared {@code ~/.m2}:
 * the third-party artifacts are linked from {@code ~/.m2/repository} (everything but {@code
 * dev/cohort}), and Cohort's own are copied into the repository layout from the jars and poms this
 * build just packaged, which is what {@code mvn install} ({@code ./cohort install}) writes. Running
 * {@code ./cohort install} itself here would make a second build rewrite the jars the running build
 * and this test are using. Maven runs offline.
 */
@Tag("integration")
class EmbeddedExampleTest {
  private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");
  private static final Pattern ARTIFACT_ID =
      Pattern.compile("</parent>\\s*<artifactId>([^<]+)</artifactId>");
  private static final Pattern CLASS = Pattern.compile("public class (\\w+)");

  @Test
  void readmeExampleBuildsAndRunsAgainstTheInstalledArtifacts() throws Exception {
    Path root = NodeProcess.repositoryRoot();
    String embedded = section(Files.readString(root.resolve("README.md")), "## Embedded");
    String dependency = block(embedded, "xml");
    String program = block(embedded, "java");
    String version = ConfigFactory.load().getString("cohort.observability.version");
    assertTrue(
        dependency.contains("<artifactId>cohort-platform</artifactId>")
            && dependency.contains("<version>" + version + "</version>"),
        "the README's dependency is not cohort-platform " + version + ":\n" + dependency);

    Path work = Files.createTempDirectory("cohort-embedding");
    try {
      buildAndRun(root, work, dependency, program, version);
    } finally {
      TestFiles.deleteTree(work);
    }
  }

  private static void buildAndRun(
      Path root, Path work, String dependency, String program, String version) throws Exception {
    Path repository = seedRepository(root, work.resolve("repository"), version);
    Path project = Files.createDirectories(work.resolve("example"));
    Matcher mainClass = CLASS.matcher(program);
    assertTrue(mainClass.find(), "the README's Java example declares no public class");
    Path source = project.resolve("src/main/java/" + mainClass.group(1) + ".java");
    Files.createDirectories(source.getParent());
    Files.writeString(source, program);
    Files.writeString(project.resolve("pom.xml"), pom(dependency));

    Result build =
        run(
            project,
            300,
            "mvn",
            "-B",
            "-o",
            "-q",
            "-Dmaven.repo.local=" + repository,
            "org.apache.maven.plugins:maven-compiler-plugin:3.16.0:compile",
            "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath",
            "-Dmdep.outputFile=classpath.txt");
    assertEquals(0, build.exit(), build.output());
    String classpath =
        project.resolve("target/classes")
            + ":"
            + Files.readString(project.resolve("classpath.txt")).strip();
    assertTrue(
        classpath.contains(repository.resolve("dev/cohort/cohort-platform").toString()),
        "cohort-platform did not come from the private repository: " + classpath);

    Result example =
        run(
            project,
            180,
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow",
            "-Xmx384m",
            "-Dcohort.gateway.port=0",
            "-Dcohort.etcd.port=0",
            "-Dcohort.kafka.port=0",
            "-Dcohort.node.remote-port=0",
            "-cp",
            classpath,
            mainClass.group(1));
    assertEquals(0, example.exit(), example.output());
    assertTrue(example.output().contains("greeting = hello"), example.output());
    assertTrue(Files.isDirectory(project.resolve("data/journal")), "no data directory written");
  }

  /** The text of a README section, from its heading to the next heading of its level. */
  private static String section(String readme, String heading) {
    int start = readme.indexOf("\n" + heading + "\n");
    assertTrue(start >= 0, "README has no section " + heading);
    int end = readme.indexOf("\n## ", start + heading.length() + 2);
    return readme.substring(start, end < 0 ? readme.length() : end);
  }

  /** The first fenced code block of {@code language} in {@code text}. */
  private static String block(String text, String language) {
    Matcher fence = Pattern.compile("```" + language + "\\n(.*?)```", Pattern.DOTALL).matcher(text);
    assertTrue(fence.find(), "no ```" + language + " block in the README's section");
    return fence.group(1);
  }

  private static String pom(String dependency) {
    return """
        <?xml version="1.0" encoding="UTF-8"?>
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <groupId>example</groupId>
          <artifactId>cohort-embedded-example</artifactId>
          <version>1</version>
          <properties>
            <maven.compiler.release>25</maven.compiler.release>
            <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
          </properties>
          <dependencies>
        %s  </dependencies>
        </project>
        """
        .formatted(dependency);
  }

  /**
   * A local repository holding links to everything in {@code ~/.m2/repository} but {@code
   * dev/cohort}, plus Cohort's parent pom and each module's pom and jar from this build.
   */
  private static Path seedRepository(Path root, Path repository, String version)
      throws IOException {
    Path shared = Path.of(System.getProperty("user.home"), ".m2", "repository");
    Files.createDirectories(repository.resolve("dev"));
    link(shared, repository, "dev");
    link(shared.resolve("dev"), repository.resolve("dev"), "cohort");
    install(root.resolve("pom.xml"), null, repository, "cohort-parent", version);
    String parent = Files.readString(root.resolve("pom.xml"));
    Matcher module = MODULE.matcher(parent);
    while (module.find()) {
      Path dir = root.resolve(module.group(1));
      Matcher id = ARTIFACT_ID.matcher(Files.readString(dir.resolve("pom.xml")));
      assertTrue(id.find(), "no artifactId in " + dir.resolve("pom.xml"));
      Path jar = dir.resolve("target/" + id.group(1) + "-" + version + ".jar");
      if (!Files.exists(jar)) {
        jar = dir.resolve("target/" + id.group(1) + ".jar");
      }
      if (Files.exists(jar)) {
        install(dir.resolve("pom.xml"), jar, repository, id.group(1), version);
      }
    }
    assertTrue(
        Files.exists(
            repository
                .resolve("dev/cohort/cohort-platform/" + version)
                .resolve("cohort-platform-" + version + ".jar")),
        "the build packaged no cohort-platform jar");
    return repository;
  }

  /** Links every entry of {@code from} into {@code to}, except {@code except}. */
  private static void link(Path from, Path to, String except) throws IOException {
    if (!Files.isDirectory(from)) {
      return;
    }
    try (Stream<Path> entries = Files.list(from)) {
      for (Path entry : entries.toList()) {
        String name = entry.getFileName().toString();
        if (!name.equals(except)) {
          Files.createSymbolicLink(to.resolve(name), entry);
        }
      }
    }
  }

  private static void install(
      Path pom, Path jar, Path repository, String artifactId, String version) throws IOException {
    Path dir =
        Files.createDirectories(
            repository.resolve("dev/cohort").resolve(artifactId).resolve(version));
    String base = artifactId + "-" + version;
    Files.copy(pom, dir.resolve(base + ".pom"), StandardCopyOption.REPLACE_EXISTING);
    if (jar != null) {
      Files.copy(jar, dir.resolve(base + ".jar"), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private record Result(int exit, String output) {}

  private static Result run(Path dir, int seconds, String... command)
      throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder(new ArrayList<>(List.of(command)))
            .directory(dir.toFile())
            .redirectErrorStream(true);
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    Path log = Files.createTempFile(dir, "process-", ".log");
    Process process = builder.redirectOutput(log.toFile()).start();
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      throw new AssertionError(
          List.of(command) + " did not finish in " + seconds + " s:\n" + Files.readString(log));
    }
    return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }
}
