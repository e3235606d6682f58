package dev.cohort.bench;

import com.typesafe.config.ConfigFactory;
import dev.cohort.persistence.Rejection;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/**
 * Kryo round trips of a small record through Pekko serialization, single-threaded: the per-message
 * cost every remote message and journal event pays.
 */
final class SerializationWorkload implements Bench.Workload {

  @Override
  public String description() {
    return "Kryo round trips of a small record; seconds=5";
  }

  @Override
  public void run(Bench.Params params) throws Exception {
    int seconds = params.intValue("seconds", 5);
    ActorSystem<Void> system =
        ActorSystem.create(
            Behaviors.empty(),
            "bench",
            ConfigFactory.parseString("pekko.actor.provider = local")
                .withFallback(ConfigFactory.load()));
    try {
      Serialization serialization = SerializationExtension.get(system.classicSystem());
      Rejection message = Rejection.invalid("invalid_field", "field 'key' must be 1 to 1024 bytes");
      int size = serialization.serialize(message).get().length;
      long end = System.nanoTime() + seconds * 1_000_000_000L;
      long count = 0;
      long start = System.nanoTime();
      while (System.nanoTime() < end) {
        for (int i = 0; i < 1000; i++) {
          byte[] bytes = serialization.serialize(message).get();
          serialization.deserialize(bytes, Rejection.class).get();
        }
        count += 1000;
      }
      double elapsed = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "bench=kryo_roundtrip bytes=%d roundtrips_per_s=%.0f ns_per_roundtrip=%.0f%n",
          size, count / elapsed, elapsed * 1e9 / count);
    } finally {
      system.terminate();
    }
  }
}
