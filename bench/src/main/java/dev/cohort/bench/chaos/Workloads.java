package dev.cohort.bench.chaos;

/**
 * The harness's workloads by name. The register, unique-put and stream-log workloads run each
 * instance on resources of their own (names end in the suffix), so that every run starts empty.
 */
final class Workloads {
  private Workloads() {}

  static ChaosWorkload create(String name, String suffix) {
    return switch (name) {
      case "kv-register" -> new KvRegisterWorkload(suffix);
      case "unique-put" -> new UniquePutWorkload(suffix);
      case "stream-log" -> new StreamLogWorkload(StreamLogWorkload.Mode.IDEMPOTENT, suffix);
      // One lock and one saga definition serve every run: tokens only grow, saga ids are unique.
      case "locks" -> new LocksWorkload();
      case "sagas" -> new SagasWorkload();
      // Unique keys under a/ in one AP keyspace serve every run.
      case "ap" -> new ApWorkload();
      default ->
          throw new IllegalArgumentException(
              "unknown workload '"
                  + name
                  + "'; known: kv-register, unique-put, stream-log, locks, sagas, ap");
    };
  }
}
