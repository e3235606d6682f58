package dev.cohort.saga;

import dev.cohort.testkit.Await;
import java.nio.file.Path;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;

/**
 * A Cohort node in its own JVM for {@link SigkillTest}: one-node cluster on the H2 journal in
 * {@code args[0]}, defines {@code args[1]} (JSON) as saga {@code restart}, starts instance {@code
 * k-1}, prints {@code STARTED} and runs until killed.
 */
public final class SagaNodeProcess {
  private SagaNodeProcess() {}

  public static void main(String[] args) throws Exception {
    ActorTestKit kit = H2Nodes.node(H2Nodes.config(Path.of(args[0])));
    Sagas sagas = H2Nodes.sagas(kit);
    Await.join(sagas.defineJson("restart", args[1]));
    Await.join(sagas.start("restart", "k-1", Map.of()));
    System.out.println("STARTED");
    System.out.flush();
    Thread.currentThread().join();
  }
}
