package dev.cohort.training.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import dev.cohort.persistence.CohortSerializable;
import dev.cohort.training.TrainingSettings;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The data plane takes its peers from an actor message: workers bind ring endpoints, register their
 * addresses with a (minimal, test-only) coordinator actor, receive a {@link RingRendezvous} and
 * form the ring. Messages are Kryo-serialized on every send ({@code serialize-messages = on}), so
 * the rendezvous record is proven to cross the wire.
 */
class ActorRendezvousTest {
  static final ActorTestKit testKit =
      ActorTestKit.create(
          ConfigFactory.parseString("pekko.actor.serialize-messages = on")
              .withFallback(ConfigFactory.load()));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** A stand-in for the job coordinator's rendezvous phase: ranks in registration order. */
  record Register(String address, ActorRef<RingRendezvous> replyTo) implements CohortSerializable {}

  static Behavior<Register> coordinator(int size, long token) {
    return collecting(size, token, List.of());
  }

  private static Behavior<Register> collecting(int size, long token, List<Register> registered) {
    return Behaviors.receiveMessage(
        msg -> {
          List<Register> now = new ArrayList<>(registered);
          now.add(msg);
          if (now.size() < size) {
            return collecting(size, token, List.copyOf(now));
          }
          List<String> peers = now.stream().map(Register::address).toList();
          for (int rank = 0; rank < size; rank++) {
            now.get(rank).replyTo().tell(new RingRendezvous(token, rank, peers));
          }
          return Behaviors.stopped();
        });
  }

  @Test
  void workersFormARingFromAnActorMessageAndAllReduce() {
    int size = 3;
    TrainingSettings settings = TrainingSettings.create(testKit.system().settings().config());
    ActorRef<Register> coordinator = testKit.spawn(coordinator(size, 77L));
    List<CompletableFuture<float[]>> workers = new ArrayList<>();
    for (int w = 0; w < size; w++) {
      float value = w + 1;
      RingEndpoint endpoint = RingEndpoint.bind(settings);
      CompletionStage<RingRendezvous> reply =
          AskPattern.ask(
              coordinator,
              (ActorRef<RingRendezvous> replyTo) -> new Register(endpoint.address(), replyTo),
              Duration.ofSeconds(10),
              testKit.scheduler());
      // Joining blocks on sockets: never on an actor thread.
      workers.add(
          reply
              .toCompletableFuture()
              .thenApplyAsync(
                  rendezvous -> allReduceOnce(endpoint.join(rendezvous), value),
                  Thread::startVirtualThread));
    }
    for (CompletableFuture<float[]> w : workers) {
      assertArrayEquals(new float[] {6f, 6f, 6f, 6f, 6f}, w.orTimeout(30, TimeUnit.SECONDS).join());
    }
  }

  static float[] allReduceOnce(Communicator comm, float value) {
    try (comm;
        Arena arena = Arena.ofShared()) {
      MemorySegment buffer = arena.allocate(5 * 4L);
      buffer.fill((byte) 0);
      for (int i = 0; i < 5; i++) {
        buffer.setAtIndex(ValueLayout.JAVA_FLOAT, i, value);
      }
      comm.allReduce(buffer, ReduceOp.SUM).toCompletableFuture().join();
      return buffer.toArray(ValueLayout.JAVA_FLOAT);
    }
  }

  @Test
  void rendezvousMessagesRoundTripThroughTheSerializer() {
    var serialization = SerializationExtension.get(testKit.system().classicSystem());
    RingRendezvous ring = new RingRendezvous(5L, 1, List.of("10.0.0.1:4000", "10.0.0.2:4000"));
    byte[] id = new byte[NcclRendezvous.UNIQUE_ID_BYTES];
    id[0] = 9;
    NcclRendezvous nccl = new NcclRendezvous(1, 2, id, 0);
    for (Object message :
        List.of(ring, nccl, Backend.NCCL, ReduceOp.AVG, dev.cohort.training.MlpSpec.SIMPLE_MODEL)) {
      byte[] bytes = serialization.serialize(message).get();
      Object back =
          serialization
              .deserialize(
                  bytes,
                  serialization.findSerializerFor(message).identifier(),
                  message.getClass().getName())
              .get();
      assertEquals(message, back);
    }
  }
}
