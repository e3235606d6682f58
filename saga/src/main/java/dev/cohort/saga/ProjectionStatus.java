package dev.cohort.saga;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cohort.persistence.CohortSerializable;
import java.util.List;

/**
 * A projection as {@code GET /v1/projections/{name}} shows it.
 *
 * @param definition what it builds
 * @param state where it stands
 * @param reason why it FAILED, else null
 * @param generation 1 at creation, one more with every rebuild
 * @param partitions per source partition: the committed offset (the runner restarts there), the
 *     runner's position (the next offset it applies; -1 when no runner reported yet), the log end
 *     offset it last saw and the lag (log end minus position, or minus the committed offset before
 *     the runner reported)
 * @param lag the sum of the partitions' lag
 * @param created true only in the answer to the create that made it (HTTP 201 vs 200)
 */
public record ProjectionStatus(
    ProjectionDefinition definition,
    ProjectionState state,
    String reason,
    long generation,
    List<PartitionStatus> partitions,
    long lag,
    boolean created)
    implements CohortSerializable {

  public ProjectionStatus {
    partitions = partitions == null ? List.of() : List.copyOf(partitions);
  }

  /** One source partition. */
  public record PartitionStatus(
      int partition, long committedOffset, long position, long highWatermark, long lag)
      implements CohortSerializable {}

  public String name() {
    return definition.name();
  }

  public ProjectionStatus withCreated(boolean value) {
    return new ProjectionStatus(definition, state, reason, generation, partitions, lag, value);
  }

  public ObjectNode toJsonTree() {
    ObjectNode root = definition.toJsonTree();
    root.put("state", state.name());
    if (reason != null) {
      root.put("reason", reason);
    }
    root.put("generation", generation);
    root.put("lag", lag);
    ArrayNode list = root.putArray("partitions");
    for (PartitionStatus p : partitions) {
      list.addObject()
          .put("partition", p.partition())
          .put("offset", p.committedOffset())
          .put("position", p.position())
          .put("highWatermark", p.highWatermark())
          .put("lag", p.lag());
    }
    return root;
  }

  public String toJson() {
    return toJsonTree().toString();
  }
}
