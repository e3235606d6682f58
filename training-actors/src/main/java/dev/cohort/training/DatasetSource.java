package dev.cohort.training;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Where workers read a dataset's records from ({@link SampleCodec} format). The node wires the
 * stream-log implementation (a topic read from the beginning); tests use an in-memory map. Must
 * return the records in the same order on every worker: the sampler's indices refer to positions.
 */
@FunctionalInterface
public interface DatasetSource {

  /**
   * Every record of {@code topic}; fails with a {@link TrainingException} of kind NOT_FOUND (code
   * {@code dataset_not_found}) when the topic does not exist.
   */
  CompletionStage<List<byte[]>> read(String topic);
}
