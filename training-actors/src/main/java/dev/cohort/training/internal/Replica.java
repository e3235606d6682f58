package dev.cohort.training.internal;

import dev.cohort.training.DataParallelTrainer.Position;
import dev.cohort.training.Mlp;
import dev.cohort.training.Optimizer;
import dev.cohort.training.TrainingData;
import dev.cohort.training.TrainingJobSpec;
import dev.cohort.training.compute.Compute;
import java.lang.foreign.MemorySegment;

/**
 * A worker's model replica (model and optimizer on one compute), its training position and its
 * decoded dataset: what outlives one generation, so that survivors of a lost worker continue where
 * they were. Owned by one {@link TrainingWorker}; written by its training thread only.
 */
final class Replica {
  final Mlp model;
  final Optimizer optimizer;
  Position position = Position.START;
  TrainingData data;

  Replica(Mlp model, Optimizer optimizer) {
    this.model = model;
    this.optimizer = optimizer;
  }

  long step() {
    return position.globalStep();
  }

  /**
   * This replica (parameters, optimizer state, position) on another compute, for a generation whose
   * compute differs (a changed backend); releases this one.
   */
  Replica movedTo(Compute compute, TrainingJobSpec spec) {
    Mlp moved = Mlp.create(spec.model(), spec.seed(), compute);
    moved.loadParameters(model.copyParameters());
    Optimizer next = spec.optimizer().create(spec.model().parameterCount(), compute);
    MemorySegment[] from = optimizer.state();
    MemorySegment[] to = next.state();
    for (int i = 0; i < from.length; i++) {
      float[] host = new float[Optimizer.length(from[i])];
      model.compute().read(from[i], 0, host, 0, host.length);
      compute.write(host, 0, to[i], 0, host.length);
    }
    next.restoreSteps(optimizer.steps());
    Replica result = new Replica(moved, next);
    result.position = position;
    result.data = data;
    close();
    return result;
  }

  /** Frees the model's buffers and its compute (threads, device handles). */
  void close() {
    Compute compute = model.compute();
    for (MemorySegment s : optimizer.state()) {
      compute.free(s);
    }
    model.close();
    compute.close();
  }
}
