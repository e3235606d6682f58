package dev.cohort.bench;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.locks.LockSupport;

/**
 * The CPU time this process (node, clients and anything else in the bench JVM) spends in a
 * measurement window that opens at a given {@link System#nanoTime()}: a second figure next to
 * throughput that depends much less on how much of a shared machine the run got, since a run that
 * is starved of CPU does fewer operations but not more work per operation.
 */
final class ProcessCpu {
  private static final OperatingSystemMXBean OS =
      (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  private volatile long atOpen = -1;

  private ProcessCpu() {}

  /** Samples the process CPU time once {@code openAt} (a nanoTime) is reached. */
  static ProcessCpu openingAt(long openAt) {
    ProcessCpu cpu = new ProcessCpu();
    Thread.ofVirtual()
        .start(
            () -> {
              for (long left = openAt - System.nanoTime();
                  left > 0;
                  left = openAt - System.nanoTime()) {
                LockSupport.parkNanos(left);
              }
              cpu.atOpen = OS.getProcessCpuTime();
            });
    return cpu;
  }

  /** Microseconds of CPU per operation since the window opened; NaN if it has not opened. */
  double microsPerOp(long ops) {
    long open = atOpen;
    if (open < 0 || ops == 0) {
      return Double.NaN;
    }
    return (OS.getProcessCpuTime() - open) / 1e3 / ops;
  }
}
