package dev.cohort.saga;

import dev.cohort.persistence.CohortSerializable;
import java.time.Instant;

/** One line of {@link Sagas#list}: an instance's id, definition, state and last change. */
public record SagaSummary(
    String id, String definition, int version, SagaState state, Instant updatedAt)
    implements CohortSerializable {

  /** This summary as JSON. */
  public String toJson() {
    return JsonViews.summary(this).toString();
  }
}
