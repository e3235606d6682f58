package dev.cohort.training;

import dev.cohort.persistence.CohortSerializable;
import java.util.List;

/**
 * The shape of a multi-layer perceptron: {@code layers.get(0)} inputs, hidden layers with ReLU, and
 * {@code layers.getLast()} output logits trained with softmax cross-entropy. The source document's
 * SimpleModel is {@code [1024, 2048, 1024, 10]}.
 *
 * @param layers widths, input first; at least two, each at least 1
 */
public record MlpSpec(List<Integer> layers) implements CohortSerializable {

  /** The reference workload, PyTorch's SimpleModel from the source document. */
  public static final MlpSpec SIMPLE_MODEL = new MlpSpec(List.of(1024, 2048, 1024, 10));

  public MlpSpec {
    if (layers == null || layers.size() < 2) {
      throw TrainingError.INVALID_MODEL.exception(
          "an mlp needs at least an input and an output layer, got " + layers);
    }
    for (int i = 0; i < layers.size(); i++) {
      Integer w = layers.get(i);
      if (w == null || w < 1) {
        throw TrainingError.INVALID_MODEL.exception(
            "layer " + i + " of " + layers + " has width " + w + "; widths must be at least 1");
      }
    }
    layers = List.copyOf(layers);
    long params = 0;
    for (int i = 0; i + 1 < layers.size(); i++) {
      params += (long) layers.get(i) * layers.get(i + 1) + layers.get(i + 1);
    }
    // Parameters live in one float[]: Java arrays stop at 2^31-1 elements.
    if (params > Integer.MAX_VALUE - 8) {
      throw TrainingError.INVALID_MODEL.exception(
          layers + " has " + params + " parameters; at most 2^31 are supported");
    }
  }

  public static MlpSpec of(Integer... layers) {
    return new MlpSpec(List.of(layers));
  }

  public int inputs() {
    return layers.getFirst();
  }

  public int classes() {
    return layers.getLast();
  }

  /** Number of weight layers (the number of widths minus one). */
  public int depth() {
    return layers.size() - 1;
  }

  public int parameterCount() {
    int params = 0;
    for (int i = 0; i < depth(); i++) {
      params += layers.get(i) * layers.get(i + 1) + layers.get(i + 1);
    }
    return params;
  }
}
