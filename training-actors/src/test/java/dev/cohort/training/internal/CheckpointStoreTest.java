package dev.cohort.training.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cohort.training.DataParallelTrainer.Position;
import dev.cohort.training.Mlp;
import dev.cohort.training.MlpSpec;
import dev.cohort.training.Optimizer;
import dev.cohort.training.TrainingException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Checkpoints: the codec round-trips parameters, Adam's moments, the step count and the position
 * bit for bit and refuses another model; the store writes chunks, reads exactly what was written,
 * refuses a second write of one id, and deletes.
 */
class CheckpointStoreTest {
  static final ActorTestKit testKit = TrainingTestKits.local("pekko.actor.serialize-messages = on");

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  static <T> T await(CompletionStage<T> stage) {
    return stage.toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
  }

  @Test
  void codecRoundTripsModelOptimizerAndPosition() {
    MlpSpec spec = MlpSpec.of(6, 5, 3);
    Mlp model = Mlp.create(spec, 1, 1);
    Optimizer adam = Optimizer.adam(0.01f, spec.parameterCount());
    float[] grads = new float[spec.parameterCount()];
    for (int i = 0; i < grads.length; i++) {
      grads[i] = (i % 7) * 0.1f - 0.3f;
    }
    adam.step(model.parameters(), MemorySegment.ofArray(grads));
    adam.step(model.parameters(), MemorySegment.ofArray(grads));
    byte[] bytes = CheckpointCodec.encode(model, adam, new Position(3, 4, 77));

    Mlp other = Mlp.create(spec, 2, 1);
    Optimizer otherAdam = Optimizer.adam(0.01f, spec.parameterCount());
    Position position = CheckpointCodec.decode(bytes, other, otherAdam);
    assertEquals(new Position(3, 4, 77), position);
    assertArrayEquals(model.copyParameters(), other.copyParameters());
    assertArrayEquals(
        adam.state()[0].toArray(ValueLayout.JAVA_FLOAT),
        otherAdam.state()[0].toArray(ValueLayout.JAVA_FLOAT));
    assertArrayEquals(
        adam.state()[1].toArray(ValueLayout.JAVA_FLOAT),
        otherAdam.state()[1].toArray(ValueLayout.JAVA_FLOAT));
    assertEquals(2, otherAdam.steps());

    Mlp wider = Mlp.create(MlpSpec.of(6, 8, 3), 1, 1);
    TrainingException e =
        assertThrows(
            TrainingException.class,
            () ->
                CheckpointCodec.decode(
                    bytes, wider, Optimizer.adam(0.01f, wider.parameterCount())));
    assertEquals("checkpoint_mismatch", e.code());

    List<byte[]> chunks = CheckpointCodec.split(bytes, 100);
    assertTrue(chunks.stream().allMatch(c -> c.length <= 100));
    assertArrayEquals(bytes, CheckpointCodec.join(chunks));
  }

  @Test
  void storeWritesReadsAndDeletesChunks() {
    CheckpointStore store = new CheckpointStore(testKit.system());
    byte[] bytes = new byte[2500];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) (i * 31);
    }
    List<byte[]> chunks = CheckpointCodec.split(bytes, 1000);
    String id = CheckpointStore.persistenceId("job", 1, 10);
    await(store.write(id, chunks));
    assertArrayEquals(bytes, CheckpointCodec.join(await(store.read(id, 3))));

    CompletionException twice =
        assertThrows(CompletionException.class, () -> await(store.write(id, chunks)));
    assertTrue(
        twice.getCause().getMessage().contains("already written"), twice.getCause().getMessage());
    CompletionException wrongCount =
        assertThrows(CompletionException.class, () -> await(store.read(id, 4)));
    assertTrue(
        wrongCount.getCause().getMessage().contains("has 3 chunks"),
        wrongCount.getCause().getMessage());

    await(store.delete(id));
    CompletionException gone =
        assertThrows(CompletionException.class, () -> await(store.read(id, 3)));
    assertTrue(gone.getCause().getMessage().contains("has 0 chunks"), gone.getCause().getMessage());
    await(
        store.delete(CheckpointStore.persistenceId("job", 9, 9))); // nothing stored: still success
  }
}
