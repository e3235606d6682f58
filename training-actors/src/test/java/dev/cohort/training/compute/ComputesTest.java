package dev.cohort.training.compute;

import static dev.cohort.training.compute.ComputeKind.AUTO;
import static dev.cohort.training.compute.ComputeKind.CUBLAS;
import static dev.cohort.training.compute.ComputeKind.JAVA;
import static dev.cohort.training.compute.ComputeKind.OPENBLAS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cohort.training.TrainingException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How a job's compute resolves against what a worker can run (no libraries involved). */
class ComputesTest {
  static final List<ComputeKind> CPU = List.of(JAVA);
  static final List<ComputeKind> BLAS = List.of(JAVA, OPENBLAS);
  static final List<ComputeKind> GPU = List.of(JAVA, OPENBLAS, CUBLAS);

  @Test
  void autoPrefersCublasOnNcclThenOpenblasThenJava() {
    assertEquals(Optional.of(CUBLAS), Computes.resolve(AUTO, GPU, true));
    assertEquals(Optional.of(OPENBLAS), Computes.resolve(AUTO, GPU, false), "ring: host memory");
    assertEquals(Optional.of(OPENBLAS), Computes.resolve(AUTO, BLAS, true));
    assertEquals(Optional.of(JAVA), Computes.resolve(AUTO, CPU, false));
    assertEquals(Optional.of(JAVA), Computes.resolve(AUTO, List.of(), false), "old journals");
  }

  @Test
  void explicitRequestsResolveOnlyWhereTheyCanRun() {
    assertEquals(Optional.of(JAVA), Computes.resolve(JAVA, GPU, true));
    assertEquals(Optional.of(OPENBLAS), Computes.resolve(OPENBLAS, BLAS, false));
    assertEquals(Optional.empty(), Computes.resolve(OPENBLAS, CPU, false));
    assertEquals(Optional.of(CUBLAS), Computes.resolve(CUBLAS, GPU, true));
    assertEquals(Optional.empty(), Computes.resolve(CUBLAS, GPU, false), "cublas needs nccl");
    assertEquals(Optional.empty(), Computes.resolve(CUBLAS, BLAS, true));
  }

  @Test
  void namesParseAndUnknownOnesAreRefused() {
    for (ComputeKind k : ComputeKind.values()) {
      assertEquals(k, ComputeKind.parse(" " + k.id().toUpperCase() + " "));
    }
    TrainingException e = assertThrows(TrainingException.class, () -> ComputeKind.parse("tpu"));
    assertEquals("unknown_compute", e.code());
  }
}
