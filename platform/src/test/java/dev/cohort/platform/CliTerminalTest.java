package dev.cohort.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The CLI as a person uses it, against a real node process: under a pseudo-terminal ({@code script}
 * from util-linux allocates one, as a terminal emulator would) tables line up and progress lines
 * rewrite themselves with carriage returns; piped, the same commands print plain lines (no carriage
 * returns, no escape sequences) or nothing. Also the output formats and the exit codes the README
 * documents, and the README's {@code job.json} run by {@code train submit --follow}.
 */
@Tag("integration")
class CliTerminalTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void tablesAndProgressUnderATerminalPlainLinesWhenPiped() throws Exception {
    try (NodeProcess node = readyNode("cohort-cli-tty")) {

      String synthesized =
          terminal(
              node,
              "dataset",
              "synth",
              "--topic",
              "digits",
              "--samples",
              "10000",
              "--features",
              "64",
              "--classes",
              "10");
      assertTrue(synthesized.contains("\rwriting digits: 500/10000 samples (5%)"), synthesized);
      assertTrue(rewritesInPlace(synthesized), "no live line: " + synthesized);
      assertTrue(
          synthesized.contains("10000 samples of 64 features, 10 classes written to digits"),
          synthesized);
      var pipedSynth =
          node.cli(
              null,
              "dataset",
              "synth",
              "--topic",
              "quiet",
              "--samples",
              "2000",
              "--features",
              "64",
              "--classes",
              "10");
      assertEquals(0, pipedSynth.exit(), pipedSynth.err());
      assertEquals("", pipedSynth.out() + pipedSynth.err(), "piped synth is not quiet");
      assertEquals(
          "quiet  0          0                 2000",
          node.cli(null, "topic", "describe", "quiet")
              .out()
              .lines()
              .skip(1)
              .findFirst()
              .orElseThrow()
              .substring(0, 40));

      String described = terminal(node, "topic", "describe", "digits").replace("\r\n", "\n");
      assertAligned(described);
      assertTrue(
          described.startsWith("TOPIC   PARTITION  LOG-START-OFFSET  LOG-END-OFFSET"), described);
      assertTrue(described.contains("\ndigits  0          0                 10000"), described);

      Path job = Files.createTempFile("job", ".json");
      Files.writeString(job, readmeJob(null));
      String followed = terminal(node, "train", "submit", "--follow", job.toString());
      assertTrue(followed.contains("\repoch "), "no live line: " + followed);
      assertTrue(
          followed.matches(
              "(?s).*epoch 3/3  step 237/237  loss \\d\\.\\d{4}  \\d+ samples/s  ETA 0:00.*"),
          followed);
      assertTrue(
          followed
              .replace("\r\n", "\n")
              .matches(
                  "(?s).*\njob digits-mlp COMPLETED at epoch 3, step 237, loss \\d\\.\\d{4}\n.*"),
          followed);
      String listed = terminal(node, "train", "list").replace("\r\n", "\n");
      assertAligned(listed);
      assertTrue(
          listed.startsWith("ID          NAME    STATE      EPOCH  STEP  WORKERS\n"), listed);

      Files.writeString(job, readmeJob("digits-piped"));
      var piped = node.cli(null, "train", "submit", "--follow", job.toString());
      assertEquals(0, piped.exit(), piped.err());
      assertTrue(
          piped
              .out()
              .matches("job digits-piped COMPLETED at epoch 3, step 237, loss \\d\\.\\d{4}\n"),
          piped.out());
      assertPlain(piped.err());
      assertFalse(piped.err().isEmpty(), "piped --follow shows no progress lines");
      for (String line : piped.err().lines().toList()) {
        assertTrue(
            line.matches(
                    "epoch \\d/3  step \\d+/237  loss (-|\\d+\\.\\d{4})  \\d+ samples/s  ETA .+")
                || line.matches("(pending|rendezvous) \\(waiting for workers\\)"),
            line);
      }
      assertPlain(node.cli(null, "train", "list").out());
      assertPlain(node.cli(null, "train", "get", "digits-piped").out());
    }
  }

  @Test
  void formatsAndExitCodes() throws Exception {
    try (NodeProcess node = readyNode("cohort-cli-codes")) {
      assertEquals("OK\n", node.cli(null, "kv", "put", "app/name", "cohort").out());
      assertEquals("OK\n", node.cli(null, "kv", "put", "app/port", "8080").out());
      assertEquals("app/name\ncohort\n", node.cli(null, "kv", "get", "app/name").out());
      assertEquals(
          "app/name\ncohort\napp/port\n8080\n", node.cli(null, "kv", "range", "app/").out());
      assertEquals(
          "app/name\napp/port\n", node.cli(null, "kv", "range", "app/", "--keys-only").out());
      JsonNode keysOnly =
          JSON.readTree(node.cli(null, "kv", "range", "app/", "--keys-only", "-o", "json").out());
      assertEquals(2, keysOnly.path("kvs").size());
      keysOnly.path("kvs").forEach(kv -> assertEquals(List.of("key"), names(kv)));
      JsonNode got = JSON.readTree(node.cli(null, "kv", "get", "app/name", "--output=JSON").out());
      assertEquals("cohort", got.path("kv").path("value").asText());
      String table = node.cli(null, "kv", "range", "app/", "-o", "table").out();
      assertAligned(table);
      assertTrue(table.startsWith("KEY       VALUE   CREATE-REVISION"), table);

      var notFound = node.cli(null, "kv", "get", "nope");
      assertEquals(3, notFound.exit());
      assertEquals("", notFound.out());
      assertTrue(notFound.err().startsWith("error: key_not_found: "), notFound.err());
      assertEquals(3, node.cli(null, "topic", "describe", "nope").exit());
      assertEquals(2, node.cli(null, "kv", "put", "k", "v", "--no-such-option").exit());
      assertEquals(2, node.cli(null, "kv", "get").exit());
      assertEquals(2, node.cli(null, "kv", "get", "k", "-o", "yaml").exit());
      var invalid = node.cli(null, "topic", "create", "bad", "--partitions", "0");
      assertEquals(2, invalid.exit(), invalid.err());
      assertEquals(0, node.cli(null, "topic", "create", "clicks", "--partitions", "2").exit());
      var exists = node.cli(null, "topic", "create", "clicks");
      assertEquals(1, exists.exit(), exists.err());
      var unreachable =
          node.cli(
              null, "kv", "get", "k", "--endpoint", "http://127.0.0.1:" + NodeProcess.freePort());
      assertEquals(1, unreachable.exit(), unreachable.err());

      assertEquals(
          0, node.cli("u1:a\nu2:b\nu1:c\n", "produce", "clicks", "--key-separator", ":").exit());
      long start = System.nanoTime();
      var consumed =
          node.cli(
              null, "consume", "clicks", "--from-beginning", "--timeout-ms", "1500", "-o", "json");
      assertEquals(0, consumed.exit(), consumed.err());
      List<String> values = new ArrayList<>();
      for (String line : consumed.out().lines().toList()) {
        values.add(
            JSON.readTree(line).path("key").asText()
                + "="
                + JSON.readTree(line).path("value").asText());
      }
      assertEquals(3, values.size(), consumed.out());
      assertTrue(values.containsAll(List.of("u1=a", "u2=b", "u1=c")), values.toString());
      assertTrue(
          System.nanoTime() - start < TimeUnit.SECONDS.toNanos(50),
          "consume --timeout-ms did not end the consumer");
      var two = node.cli(null, "consume", "clicks", "--from-beginning", "--max-messages", "2");
      assertEquals(2, two.out().lines().count(), two.out());
      assertEquals(2, node.cli(null, "consume", "clicks", "-o", "table").exit());
    }
  }

  private static NodeProcess readyNode(String name) throws Exception {
    NodeProcess node =
        NodeProcess.start(
            Files.createTempDirectory(name), NodeProcess.freePort(), NodeProcess.freePort());
    try {
      node.awaitReady(Duration.ofSeconds(60));
      return node;
    } catch (Exception | AssertionError e) {
      node.close();
      throw e;
    }
  }

  /** The README's job.json, its id replaced when {@code id} is given. */
  private static String readmeJob(String id) throws IOException {
    String readme = Files.readString(NodeProcess.repositoryRoot().resolve("README.md"));
    int marker = readme.indexOf("A complete `job.json`");
    int start = readme.indexOf("```json\n", marker) + 8;
    String job = readme.substring(start, readme.indexOf("\n```", start));
    if (id == null) {
      return job;
    }
    ObjectNode node = (ObjectNode) JSON.readTree(job);
    return node.put("id", id).toString();
  }

  private static List<String> names(JsonNode object) {
    List<String> names = new ArrayList<>();
    object.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** A carriage return that does not end a line: the terminal line was rewritten in place. */
  private static boolean rewritesInPlace(String transcript) {
    for (int i = transcript.indexOf('\r'); i >= 0; i = transcript.indexOf('\r', i + 1)) {
      if (i + 1 < transcript.length() && transcript.charAt(i + 1) != '\n') {
        return true;
      }
    }
    return false;
  }

  private static void assertPlain(String text) {
    assertFalse(text.contains("\r"), "a carriage return in piped output: " + text);
    assertFalse(text.contains("\u001b"), "an escape sequence in piped output: " + text);
  }

  /** Every cell of every row starts where its column's header starts. */
  private static void assertAligned(String table) {
    List<String> lines = table.lines().filter(l -> !l.isBlank()).toList();
    String header = lines.getFirst();
    List<Integer> starts = new ArrayList<>();
    for (int i = 0; i < header.length(); i++) {
      if (header.charAt(i) != ' ' && (i == 0 || header.charAt(i - 1) == ' ')) {
        starts.add(i);
      }
    }
    assertTrue(starts.size() > 1, "not a table: " + table);
    for (String row : lines.subList(1, lines.size())) {
      for (int start : starts.subList(1, starts.size())) {
        assertTrue(
            row.length() > start
                && row.charAt(start) != ' '
                && row.charAt(start - 1) == ' '
                && row.charAt(start - 2) == ' ',
            "column at " + start + " not aligned in:\n" + table);
      }
    }
  }

  /**
   * Runs {@code ./cohort args} under a pseudo-terminal and returns what the terminal received
   * (stdout and stderr together, lines ending in CR LF as a tty translates them).
   */
  private static String terminal(NodeProcess node, String... args) throws Exception {
    StringBuilder command =
        new StringBuilder(quote(NodeProcess.repositoryRoot().resolve("cohort").toString()));
    for (String arg : args) {
      command.append(' ').append(quote(arg));
    }
    ProcessBuilder builder =
        new ProcessBuilder(script(), "-qec", command.toString(), "/dev/null")
            .redirectInput(new File("/dev/null"))
            .redirectErrorStream(true);
    builder.environment().put("COHORT_SKIP_BUILD", "1");
    builder.environment().put("COHORT_ENDPOINT", "http://127.0.0.1:" + node.httpPort);
    builder.environment().put("TERM", "xterm");
    Process process = builder.start();
    String transcript = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("under a terminal, ./cohort did not finish: " + command);
    }
    assertEquals(0, process.exitValue(), command + " under a terminal:\n" + transcript);
    return transcript;
  }

  private static String script() {
    for (String dir : List.of("/usr/bin", "/bin")) {
      if (Files.isExecutable(Path.of(dir, "script"))) {
        return dir + "/script";
      }
    }
    throw new AssertionError(
        "util-linux's script (Debian package bsdutils) is needed to give the CLI a terminal");
  }

  private static String quote(String arg) {
    return "'" + arg.replace("'", "'\\''") + "'";
  }
}
