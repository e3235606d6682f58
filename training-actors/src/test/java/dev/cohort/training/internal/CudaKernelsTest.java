package dev.cohort.training.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The part of the cublas compute's kernels that needs no GPU: the PTX resource is on the classpath,
 * declares every kernel the compute launches, each with as many parameters as its launch passes (a
 * mismatch would make cuLaunchKernel read garbage), and targets a PTX version old drivers accept.
 * Whether the PTX compiles and computes right is checked on a GPU (gpu-check.sh and
 * ComputeAgreementTest's cublas cases).
 */
class CudaKernelsTest {

  @Test
  void everyLaunchedKernelIsDeclaredWithItsParameterCount() {
    String ptx = CudaKernels.ptx();
    Map<String, Integer> declared = new HashMap<>();
    Matcher entry = Pattern.compile("\\.visible \\.entry (\\w+)\\(([^)]*)\\)").matcher(ptx);
    while (entry.find()) {
      declared.put(entry.group(1), entry.group(2).split(",").length);
    }
    assertEquals(CudaKernels.ARGUMENTS, declared);
    assertEquals(true, ptx.contains(".version 7.0") && ptx.contains(".target sm_52"), ptx);
  }
}
