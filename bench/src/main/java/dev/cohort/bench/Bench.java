package dev.cohort.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The benchmark runner: {@code ./cohort bench WORKLOAD [key=value ...]}. Every workload prints one
 * line per result, {@code bench=<name> key=value …}, so that runs can be compared by machine.
 * {@code ./cohort bench list} shows the workloads and their parameters.
 */
public final class Bench {

  /** A benchmark workload; {@link #run} prints its result lines. */
  interface Workload {
    String description();

    void run(Params params) throws Exception;
  }

  private static final Map<String, Workload> WORKLOADS = new TreeMap<>();

  static {
    WORKLOADS.put("allreduce", new AllreduceWorkload());
    WORKLOADS.put("ap-load", new ApLoadWorkload());
    WORKLOADS.put("chaos", new ChaosBench());
    WORKLOADS.put("counter", new CounterWorkload());
    WORKLOADS.put("fuzz-http", new FuzzHttpWorkload());
    WORKLOADS.put("journal-open", new JournalOpenWorkload());
    WORKLOADS.put("kafka-listener", new KafkaListenerWorkload());
    WORKLOADS.put("kv-http", new KvHttpWorkload());
    WORKLOADS.put("log", new LogWorkload());
    WORKLOADS.put("ring", new RingWorkload());
    WORKLOADS.put("saga", new SagaWorkload());
    WORKLOADS.put("serialization", new SerializationWorkload());
    WORKLOADS.put("training", new TrainingWorkload());
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].equals("list")) {
      WORKLOADS.forEach((name, w) -> System.out.println(name + ": " + w.description()));
      return;
    }
    Workload workload = WORKLOADS.get(args[0]);
    if (workload == null) {
      System.err.println("unknown workload '" + args[0] + "'; known: " + WORKLOADS.keySet());
      System.exit(2);
    }
    Map<String, String> params = new LinkedHashMap<>();
    for (int i = 1; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      if (eq <= 0) {
        System.err.println("parameters are key=value, got '" + args[i] + "'");
        System.exit(2);
      }
      params.put(args[i].substring(0, eq), args[i].substring(eq + 1));
    }
    workload.run(new Params(params));
    System.exit(0);
  }

  /** Workload parameters with defaults. */
  record Params(Map<String, String> values) {
    int intValue(String key, int defaultValue) {
      return values.containsKey(key) ? Integer.parseInt(values.get(key)) : defaultValue;
    }

    String stringValue(String key, String defaultValue) {
      return values.getOrDefault(key, defaultValue);
    }
  }
}
