package dev.cohort.training;

import dev.cohort.persistence.CohortSerializable;
import java.util.Locale;

/**
 * The optimizer a job asks for: {@code {"type":"sgd|adam","lr":…}} in the job JSON.
 *
 * @param type {@code sgd} or {@code adam}
 * @param lr learning rate, positive
 * @param momentum SGD momentum in [0, 1); ignored by Adam
 */
public record OptimizerSpec(String type, float lr, float momentum) implements CohortSerializable {

  public OptimizerSpec {
    type = type == null ? "" : type.toLowerCase(Locale.ROOT);
    if (!type.equals("sgd") && !type.equals("adam")) {
      throw TrainingError.INVALID_OPTIMIZER.exception(
          "optimizer.type must be sgd or adam, not '" + type + "'");
    }
    if (!(lr > 0) || !Float.isFinite(lr)) {
      throw TrainingError.INVALID_OPTIMIZER.exception(
          "optimizer.lr must be a positive number, not " + lr);
    }
    if (!(momentum >= 0 && momentum < 1)) {
      throw TrainingError.INVALID_OPTIMIZER.exception(
          "optimizer.momentum must be in [0, 1), not " + momentum);
    }
  }

  /** A fresh optimizer for a model of {@code parameters} parameters on the java compute. */
  public Optimizer create(int parameters) {
    return create(parameters, dev.cohort.training.internal.JavaCompute.SHARED);
  }

  /** A fresh optimizer for a model of {@code parameters} parameters on {@code compute}. */
  public Optimizer create(int parameters, dev.cohort.training.compute.Compute compute) {
    return type.equals("adam")
        ? Optimizer.adam(lr, parameters, compute)
        : Optimizer.sgd(lr, momentum, parameters, compute);
  }
}
