package dev.cohort.training.internal;

import dev.cohort.training.DataParallelTrainer.Position;
import dev.cohort.training.Mlp;
import dev.cohort.training.Optimizer;
import dev.cohort.training.TrainingError;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * The byte format of a checkpoint: a replica's parameters, optimizer state (momentum, Adam's
 * moments, step count) and position. Little-endian:
 *
 * <pre>
 * int32  magic 0x434B5031 ("CKP1")
 * int32  epoch, int32 stepInEpoch, int64 globalStep   the position
 * int64  optimizer steps
 * int32  P (parameters), int32 S (optimizer state arrays), int32 × S their lengths
 * float32 × P parameters, then each state array in order
 * </pre>
 *
 * Decoding checks the magic and every length against the model and optimizer it loads into, so a
 * checkpoint of another model or optimizer is refused ({@code checkpoint_mismatch}) instead of
 * half-loaded. Stateless; thread-safe.
 */
final class CheckpointCodec {
  static final int MAGIC = 0x434B5031;

  private CheckpointCodec() {}

  static byte[] encode(Mlp model, Optimizer optimizer, Position position) {
    float[] params = model.copyParameters();
    float[][] state = hostState(optimizer);
    long size = 4 + 4 + 4 + 8 + 8 + 4 + 4 + 4L * state.length + 4L * params.length;
    for (float[] s : state) {
      size += 4L * s.length;
    }
    if (size > Integer.MAX_VALUE - 16) {
      throw TrainingError.CHECKPOINT_TOO_LARGE.exception(
          "a checkpoint of " + size + " bytes does not fit one array");
    }
    ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(MAGIC)
        .putInt(position.epoch())
        .putInt(position.stepInEpoch())
        .putLong(position.globalStep());
    b.putLong(optimizer.steps()).putInt(params.length).putInt(state.length);
    for (float[] s : state) {
      b.putInt(s.length);
    }
    b.asFloatBuffer().put(params);
    b.position(b.position() + 4 * params.length);
    for (float[] s : state) {
      b.asFloatBuffer().put(s);
      b.position(b.position() + 4 * s.length);
    }
    return b.array();
  }

  /** Overwrites {@code model}'s parameters and {@code optimizer}'s state; returns the position. */
  static Position decode(byte[] bytes, Mlp model, Optimizer optimizer) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    float[] params = new float[model.parameterCount()];
    float[][] state = hostState(optimizer);
    require(bytes.length >= 36 && b.getInt() == MAGIC, "not a checkpoint (bad magic)");
    Position position = new Position(b.getInt(), b.getInt(), b.getLong());
    long steps = b.getLong();
    require(
        b.getInt() == params.length, "parameter count differs from the model's " + params.length);
    require(
        b.getInt() == state.length,
        "optimizer state arrays differ from the optimizer's " + state.length);
    for (float[] s : state) {
      require(b.getInt() == s.length, "optimizer state length differs");
    }
    long expected = b.position() + 4L * params.length;
    for (float[] s : state) {
      expected += 4L * s.length;
    }
    require(
        expected == bytes.length,
        "size " + bytes.length + " differs from the expected " + expected);
    b.asFloatBuffer().get(params);
    b.position(b.position() + 4 * params.length);
    for (float[] s : state) {
      b.asFloatBuffer().get(s);
      b.position(b.position() + 4 * s.length);
    }
    model.loadParameters(params);
    MemorySegment[] buffers = optimizer.state();
    for (int i = 0; i < state.length; i++) {
      optimizer.compute().write(state[i], 0, buffers[i], 0, state[i].length);
    }
    optimizer.restoreSteps(steps);
    return position;
  }

  /** Host copies of the optimizer's state buffers. */
  private static float[][] hostState(Optimizer optimizer) {
    MemorySegment[] buffers = optimizer.state();
    float[][] state = new float[buffers.length][];
    for (int i = 0; i < buffers.length; i++) {
      state[i] = new float[Optimizer.length(buffers[i])];
      optimizer.compute().read(buffers[i], 0, state[i], 0, state[i].length);
    }
    return state;
  }

  static List<byte[]> split(byte[] bytes, int chunkBytes) {
    List<byte[]> chunks = new ArrayList<>();
    for (int at = 0; at < bytes.length; at += chunkBytes) {
      chunks.add(java.util.Arrays.copyOfRange(bytes, at, Math.min(bytes.length, at + chunkBytes)));
    }
    return chunks;
  }

  static byte[] join(List<byte[]> chunks) {
    int size = 0;
    for (byte[] c : chunks) {
      size = Math.addExact(size, c.length);
    }
    byte[] bytes = new byte[size];
    int at = 0;
    for (byte[] c : chunks) {
      System.arraycopy(c, 0, bytes, at, c.length);
      at += c.length;
    }
    return bytes;
  }

  static long crc32(byte[] bytes) {
    CRC32 crc = new CRC32();
    crc.update(bytes);
    return crc.getValue();
  }

  private static void require(boolean ok, String what) {
    if (!ok) {
      throw TrainingError.CHECKPOINT_MISMATCH.exception(
          "checkpoint does not fit this job: " + what);
    }
  }
}
