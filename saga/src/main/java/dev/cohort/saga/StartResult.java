package dev.cohort.saga;

import dev.cohort.persistence.CohortSerializable;

/**
 * The answer to {@link Sagas#start}: the instance, and whether this call created it ({@code false}
 * when an instance with that id already existed; it was not started again).
 */
public record StartResult(SagaInstance instance, boolean created) implements CohortSerializable {}
