package dev.cohort.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cohort.training.TrainingJobSpec;
import dev.cohort.training.collective.Backend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The README's complete {@code job.json} is accepted by the parser {@code POST /v1/training/jobs}
 * uses, and every field it shows is one the parser reads (a misspelt field would silently fall back
 * to its default, so each value is compared with what was parsed).
 */
class ReadmeJobExampleTest {
  private static final String MARKER = "A complete `job.json`";

  @Test
  void theReadmeJobIsAcceptedWithEveryFieldItShows() throws Exception {
    JsonNode job = new ObjectMapper().readTree(readmeJob());
    TrainingJobSpec spec = TrainingRoutes.spec(job);

    assertEquals(job.path("name").asText(), spec.name());
    List<Integer> layers = new java.util.ArrayList<>();
    job.path("model").path("layers").forEach(l -> layers.add(l.asInt()));
    assertEquals(layers, spec.model().layers());
    assertEquals(job.path("dataset").path("topic").asText(), spec.datasetTopic());
    assertEquals(job.path("workers").path("min").asInt(), spec.minWorkers());
    assertEquals(job.path("workers").path("max").asInt(), spec.maxWorkers());
    assertEquals(Backend.parse(job.path("backend").asText()), spec.backend());
    assertEquals(job.path("epochs").asInt(), spec.epochs());
    assertEquals(job.path("batchSize").asInt(), spec.batchSize());
    assertEquals(job.path("optimizer").path("type").asText(), spec.optimizer().type());
    assertEquals((float) job.path("optimizer").path("lr").asDouble(), spec.optimizer().lr());
    assertEquals(
        (float) job.path("optimizer").path("momentum").asDouble(), spec.optimizer().momentum());
    assertEquals(job.path("seed").asLong(), spec.seed());
    assertEquals(job.path("checkpointEverySteps").asInt(), spec.checkpointEverySteps());
    assertEquals(job.path("bucketCapMb").asInt(), spec.bucketCapMb());

    Set<String> shown = Set.copyOf(fieldNames(job));
    Set<String> checked =
        Set.of(
            "id",
            "name",
            "model",
            "dataset",
            "workers",
            "backend",
            "epochs",
            "batchSize",
            "optimizer",
            "seed",
            "checkpointEverySteps",
            "bucketCapMb");
    assertEquals(checked, shown, "the README's job.json shows a field this test does not check");
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new java.util.ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      names.add(it.next());
    }
    return names;
  }

  /** The first {@code ```json} block after the README's marker sentence. */
  static String readmeJob() throws Exception {
    String readme = Files.readString(Path.of("").toAbsolutePath().getParent().resolve("README.md"));
    int marker = readme.indexOf(MARKER);
    assertTrue(marker >= 0, "the README lost its sentence '" + MARKER + "'");
    int start = readme.indexOf("```json\n", marker);
    int end = readme.indexOf("\n```", start + 8);
    assertTrue(start > 0 && end > start, "no json block after the marker");
    return readme.substring(start + 8, end);
  }
}
