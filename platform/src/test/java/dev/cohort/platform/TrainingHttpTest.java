package dev.cohort.platform;

import static dev.cohort.platform.HttpTestClient.assertError;
import static dev.cohort.platform.HttpTestClient.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import dev.cohort.log.ProducerRecord;
import dev.cohort.training.SyntheticDataset;
import dev.cohort.training.TrainingSettings;
import dev.cohort.training.internal.ComputeProbe;
import dev.cohort.training.internal.NcclProbe;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A training job submitted over HTTP on a dataset in a topic, run by the node's CPU workers. */
@Tag("integration")
class TrainingHttpTest {
  private static CohortNode node;
  private static HttpTestClient http;

  @BeforeAll
  static void start() throws Exception {
    node = Cohort.start(HttpTestClient.embeddedNode("cohort-training-http").build());
    http = new HttpTestClient(node);
    node.log()
        .createTopic("synthetic", 2, Map.of())
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    List<ProducerRecord> records =
        SyntheticDataset.records(512, 8, 3, 11).stream()
            .map(bytes -> ProducerRecord.of("synthetic", (byte[]) null, bytes))
            .toList();
    node.log().send("synthetic", records).toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static String job(String extra) {
    return """
        {"name":"tiny","model":{"type":"mlp","layers":[8,16,3],"activation":"relu"},
         "dataset":{"topic":"synthetic"},"workers":{"min":1,"max":2},"backend":"ring",
         "epochs":3,"batchSize":16,"optimizer":{"type":"adam","lr":0.01},"seed":5,
         "checkpointEverySteps":20,"bucketCapMb":1%s}
        """
        .formatted(extra);
  }

  @Test
  void aJobRunsToCompletionAndItsLossFalls() throws Exception {
    var submitted = http.send("POST", "/v1/training/jobs", job(",\"id\":\"job-1\""));
    assertEquals(201, submitted.statusCode(), submitted.body());
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    JsonNode status = ok(http.send("GET", "/v1/training/jobs/job-1", null));
    while (!List.of("COMPLETED", "FAILED", "CANCELLED").contains(status.get("state").asText())
        && System.nanoTime() < deadline) {
      LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
      status = ok(http.send("GET", "/v1/training/jobs/job-1", null));
    }
    assertEquals("COMPLETED", status.get("state").asText(), status.toString());
    JsonNode losses = status.get("losses");
    assertTrue(losses.size() >= 2, status.toString());
    double first = losses.get(0).get("loss").asDouble();
    double last = losses.get(losses.size() - 1).get("loss").asDouble();
    assertTrue(last < first, "loss did not fall: " + losses);
    assertTrue(
        status.get("recoveries").isArray() && status.get("recoveries").isEmpty(),
        status.toString());
    // compute auto: openblas where the node loads it, else java
    String compute =
        ComputeProbe.openblas(TrainingSettings.create(ConfigFactory.load())).usable()
            ? "openblas"
            : "java";
    for (JsonNode w : status.get("workers")) {
      assertEquals("ring", w.get("backend").asText(), status.toString());
      assertEquals("cpu", w.get("device").asText(), status.toString());
      assertEquals(compute, w.get("compute").asText(), status.toString());
    }

    JsonNode listed = ok(http.send("GET", "/v1/training/jobs", null)).get("jobs");
    JsonNode item = null;
    for (JsonNode j : listed) {
      if (j.get("id").asText().equals("job-1")) {
        item = j;
      }
    }
    assertTrue(item != null, "job-1 is listed: " + listed);
    assertEquals("tiny", item.get("name").asText());
    assertEquals("COMPLETED", item.get("state").asText());
    assertEquals(status.get("step").asLong(), item.get("step").asLong());
    assertTrue(item.get("workers").isArray() && item.has("epoch"), item.toString());
  }

  /**
   * nccl on a node without a usable GPU: the job ends FAILED with the node's reason, never hangs.
   */
  @Test
  void ncclWithoutAGpuEndsFailedWithTheReason() throws Exception {
    NcclProbe probe = NcclProbe.run(TrainingSettings.create(ConfigFactory.load()));
    Assumptions.assumeFalse(probe.usable(), "a GPU is usable here: " + probe.reason());
    var submitted =
        http.send(
            "POST",
            "/v1/training/jobs",
            job(",\"id\":\"nccl-1\"").replace("\"backend\":\"ring\"", "\"backend\":\"nccl\""));
    assertEquals(201, submitted.statusCode(), submitted.body());
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode status = ok(http.send("GET", "/v1/training/jobs/nccl-1", null));
    while (!List.of("COMPLETED", "FAILED", "CANCELLED").contains(status.get("state").asText())
        && System.nanoTime() < deadline) {
      LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
      status = ok(http.send("GET", "/v1/training/jobs/nccl-1", null));
    }
    assertEquals("FAILED", status.get("state").asText(), status.toString());
    String reason = status.get("reason").asText();
    assertTrue(reason.contains("backend_unavailable") && reason.contains(probe.reason()), reason);
  }

  @Test
  void badJobsAreRefusedWithTheRuleNamed() throws Exception {
    assertError(
        http.send(
            "POST",
            "/v1/training/jobs",
            job(",\"backend\":\"tpu\"").replace("\"backend\":\"ring\",", "")),
        400,
        "unknown_backend");
    assertError(
        http.send("POST", "/v1/training/jobs", job(",\"compute\":\"tpu\"")),
        400,
        "unknown_compute");
    assertError(
        http.send("POST", "/v1/training/jobs", job(",\"compute\":\"cublas\"")),
        400,
        "compute_unavailable");
    assertError(
        http.send("POST", "/v1/training/jobs", job("").replace("[8,16,3]", "[8,0,3]")),
        400,
        "invalid_model");
    assertError(
        http.send("POST", "/v1/training/jobs", job("").replace("[8,16,3]", "[]")),
        400,
        "invalid_model");
    assertError(
        http.send(
            "POST",
            "/v1/training/jobs",
            job("").replace("\"min\":1,\"max\":2", "\"min\":3,\"max\":2")),
        400,
        "invalid_workers");
    assertError(http.send("POST", "/v1/training/jobs", "{\"name\":\"x\"}"), 400, "invalid_field");
    assertError(http.send("GET", "/v1/training/jobs/never-submitted", null), 404, "job_not_found");
    assertError(
        http.send("DELETE", "/v1/training/jobs/never-submitted", null), 404, "job_not_found");
  }

  /** The coordinator's typed refusals reach HTTP with their codes and statuses. */
  @Test
  void anotherSpecUnderAnExistingIdConflictsAndCancelAnswersTheEndedJob() throws Exception {
    String body = job(",\"id\":\"dup-1\"");
    assertEquals(201, http.send("POST", "/v1/training/jobs", body).statusCode());
    var again = http.send("POST", "/v1/training/jobs", body);
    assertEquals(201, again.statusCode(), "the same spec again is answered: " + again.body());
    assertError(
        http.send("POST", "/v1/training/jobs", body.replace("\"epochs\":3", "\"epochs\":4")),
        409,
        "job_exists");
    JsonNode cancelled = ok(http.send("DELETE", "/v1/training/jobs/dup-1", null));
    assertEquals("CANCELLED", cancelled.get("state").asText(), cancelled.toString());
    JsonNode twice = ok(http.send("DELETE", "/v1/training/jobs/dup-1", null));
    assertEquals(
        "CANCELLED", twice.get("state").asText(), "cancelling an ended job answers it: " + twice);
  }
}
