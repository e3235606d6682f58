package dev.cohort.training.collective;

import com.typesafe.config.ConfigFactory;
import dev.cohort.training.TrainingSettings;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A ring rank in its own JVM, for {@link RingProcessDeathTest}: prints {@code ADDRESS host:port},
 * reads {@code <token> <rank> <peer,peer,...>} from stdin, joins, prints {@code RUNNING} and
 * allreduces until it is killed or the ring fails.
 */
public final class RingPeerProcess {
  private RingPeerProcess() {}

  public static void main(String[] args) throws Exception {
    TrainingSettings settings = TrainingSettings.create(ConfigFactory.load());
    RingEndpoint endpoint = RingEndpoint.bind(settings);
    System.out.println("ADDRESS " + endpoint.address());
    System.out.flush();
    String[] line = new BufferedReader(new InputStreamReader(System.in)).readLine().split(" ");
    RingRendezvous rendezvous =
        new RingRendezvous(
            Long.parseLong(line[0]), Integer.parseInt(line[1]), Arrays.asList(line[2].split(",")));
    try (Communicator comm = endpoint.join(rendezvous);
        Arena arena = Arena.ofShared()) {
      MemorySegment buffer = arena.allocate(Long.parseLong(args[0]), 64);
      boolean announced = false;
      while (true) {
        var op = comm.allReduce(buffer, ReduceOp.SUM).toCompletableFuture();
        if (!announced) {
          System.out.println("RUNNING");
          System.out.flush();
          announced = true;
        }
        op.join();
      }
    }
  }
}
