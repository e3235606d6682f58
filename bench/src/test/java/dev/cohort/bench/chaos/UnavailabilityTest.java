package dev.cohort.bench.chaos;

import static dev.cohort.bench.chaos.Ops.op;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class UnavailabilityTest {
  private static final long S = 1_000_000_000L;

  @Test
  void measuresFromTheFaultToTheFirstSuccessInvokedAfterIt() {
    List<Op> history =
        List.of(
            op(0, "a", "write", "1", null, 0, S, Outcome.OK),
            op(0, "a", "write", "2", null, 10 * S, 11 * S, Outcome.INDETERMINATE),
            op(
                0,
                "a",
                "write",
                "3",
                null,
                12 * S,
                14 * S,
                Outcome.OK), // a: back 4 s after the fault
            op(1, "b", "write", "1", null, 0, S, Outcome.OK),
            op(1, "b", "write", "2", null, 10 * S, 11 * S, Outcome.OK), // b: 1 s
            op(
                2,
                "c",
                "write",
                "1",
                null,
                20 * S,
                21 * S,
                Outcome.OK)); // c: nothing before the fault
    assertEquals(4.0, Unavailability.maxSeconds(history, List.of(10 * S)), 1e-9);
    assertEquals(4.0, Unavailability.p99Seconds(history, List.of(10 * S)), 1e-9);
    double[] samples = Unavailability.samples(history, List.of(10 * S));
    java.util.Arrays.sort(samples);
    org.junit.jupiter.api.Assertions.assertArrayEquals(new double[] {1.0, 4.0}, samples, 1e-9);
  }

  @Test
  void aKeyThatNeverRecoversCountsToTheEndOfTheRun() {
    List<Op> history =
        List.of(
            op(0, "a", "write", "1", null, 0, S, Outcome.OK),
            op(1, "b", "write", "1", null, 0, 30 * S, Outcome.OK));
    // a never succeeds after the fault at 10 s; the run's last completion is at 30 s.
    assertEquals(20.0, Unavailability.maxSeconds(history, List.of(10 * S)), 1e-9);
  }

  @Test
  void rotatedKeysCountAsTheirStream() {
    List<Op> history =
        List.of(
            op(0, "r3/0", "write", "1", null, 0, S, Outcome.OK),
            op(0, "r3/1", "write", "2", null, 10 * S, 12 * S, Outcome.OK));
    assertEquals(2.0, Unavailability.maxSeconds(history, List.of(10 * S)), 1e-9);
    assertEquals("u/2", Unavailability.stream("u/2/40"));
    assertEquals("partition-1", Unavailability.stream("partition-1"));
    assertEquals(0.0, Unavailability.p99Seconds(List.of(), List.of(S)), 1e-9);
  }
}
