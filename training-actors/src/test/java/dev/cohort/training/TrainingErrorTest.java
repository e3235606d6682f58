package dev.cohort.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.persistence.ErrorKind;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The codes clients match on are part of the API: their spelling and kind must not drift. */
class TrainingErrorTest {

  @Test
  void codesKeepTheirReleasedSpellingAndKind() {
    Map<String, ErrorKind> released =
        new TreeMap<>(
            Map.ofEntries(
                Map.entry("job_exists", ErrorKind.CONFLICT),
                Map.entry("job_not_found", ErrorKind.NOT_FOUND),
                Map.entry("invalid_job_id", ErrorKind.INVALID),
                Map.entry("job_ended", ErrorKind.CONFLICT),
                Map.entry("job_full", ErrorKind.CONFLICT),
                Map.entry("backend_unavailable", ErrorKind.INVALID),
                Map.entry("invalid_name", ErrorKind.INVALID),
                Map.entry("invalid_model", ErrorKind.INVALID),
                Map.entry("invalid_dataset", ErrorKind.INVALID),
                Map.entry("invalid_workers", ErrorKind.INVALID),
                Map.entry("unknown_backend", ErrorKind.INVALID),
                Map.entry("invalid_epochs", ErrorKind.INVALID),
                Map.entry("invalid_batch_size", ErrorKind.INVALID),
                Map.entry("invalid_optimizer", ErrorKind.INVALID),
                Map.entry("invalid_checkpoint_interval", ErrorKind.INVALID),
                Map.entry("invalid_bucket_cap", ErrorKind.INVALID),
                Map.entry("invalid_label", ErrorKind.INVALID),
                Map.entry("dataset_mismatch", ErrorKind.INVALID),
                Map.entry("dataset_not_found", ErrorKind.NOT_FOUND),
                Map.entry("malformed_record", ErrorKind.INVALID),
                Map.entry("checkpoint_too_large", ErrorKind.INVALID),
                Map.entry("checkpoint_mismatch", ErrorKind.INVALID),
                Map.entry("unknown_compute", ErrorKind.INVALID),
                Map.entry("compute_unavailable", ErrorKind.INVALID)));
    Map<String, ErrorKind> declared =
        Arrays.stream(TrainingError.values())
            .collect(
                Collectors.toMap(
                    TrainingError::code, TrainingError::kind, (a, b) -> a, TreeMap::new));
    assertEquals(released, declared);
  }

  @Test
  void anExceptionAndARejectionCarryTheirCode() {
    TrainingException e = TrainingError.JOB_FULL.exception("full");
    assertEquals(ErrorKind.CONFLICT, e.kind());
    assertTrue(e.is(TrainingError.JOB_FULL));
    assertFalse(e.is(TrainingError.JOB_ENDED));
    assertEquals(
        TrainingError.JOB_FULL.code(),
        TrainingException.of(TrainingError.JOB_FULL.rejection("full")).code());
  }
}
