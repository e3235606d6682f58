package dev.cohort.bench.chaos;

/** The harness's workloads by name, each instance on resources of its own (names end in a suffix). */
final class Workloads {
  private Workloads() {}

  static ChaosWorkload create(String name, String suffix) {
    return switch (name) {
      case "kv-register" -> new KvRegisterWorkload(suffix);
      case "unique-put" -> new UniquePutWorkload(suffix);
      case "stream-log" -> new StreamLogWorkload(StreamLogWorkload.Mode.IDEMPOTENT, suffix);
      default ->
          throw new IllegalArgumentException(
              "unknown workload '" + name + "'; known: kv-register, unique-put, stream-log");
    };
  }
}
