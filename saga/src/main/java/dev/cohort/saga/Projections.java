package dev.cohort.saga;

import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * CQRS projections: read models in kv CP keyspaces built from stream-log topics, each record
 * applied to its view key exactly once, also across crashes and restarts (see saga/README.md,
 * "Projections"). Each projection is a sharded, event-sourced entity that holds its definition,
 * state and committed offsets and runs the projection's runner on its node. Obtain one with {@link
 * Sagas#projections()}.
 *
 * <p>Every operation returns a {@link CompletionStage} failing with a {@link SagaException}: {@code
 * invalid_projection} (400: unknown mode, sum without field, bad keyFrom or name), {@code
 * invalid_keyspace_name} (400), {@code unknown_topic} (400: the source topic does not exist),
 * {@code invalid_sink} (400: the sink keyspace is not a CP keyspace), {@code projection_exists}
 * (409: the name holds another definition), {@code projection_not_found} (404), {@code
 * invalid_state} (409), {@code timeout} (504), {@code unavailable} (503). A failed operation stores
 * nothing. Thread-safe.
 */
public interface Projections {

  /**
   * Creates a projection and starts it from the beginning of the topic; the sink keyspace is
   * created (CP, default partitions) when missing. Creating an equal definition again answers the
   * existing projection with {@code created == false}.
   */
  CompletionStage<ProjectionStatus> create(ProjectionDefinition definition);

  /** {@link #create} of {@link ProjectionDefinition#fromJson(String, String)}. */
  CompletionStage<ProjectionStatus> createJson(String name, String json);

  /** The projection with its offsets and lag, or {@code projection_not_found}. */
  CompletionStage<ProjectionStatus> get(String name);

  /** Every projection, by name. */
  CompletionStage<List<ProjectionStatus>> list();

  /**
   * Rebuilds the view: clears the view keys the projection owns (and their offset markers), resets
   * the offsets and replays the topic from its first retained record (state REBUILDING until it
   * caught up). Allowed in every state; a FAILED or STOPPED projection runs again.
   */
  CompletionStage<ProjectionStatus> rebuild(String name);

  /** Stops the runner (state STOPPED); {@code invalid_state} unless RUNNING or REBUILDING. */
  CompletionStage<ProjectionStatus> stop(String name);

  /** Resumes a STOPPED projection from its committed offsets; {@code invalid_state} otherwise. */
  CompletionStage<ProjectionStatus> resume(String name);

  /**
   * Stops and forgets the projection. The view keys stay readable; a later projection of the same
   * name clears them before it starts.
   */
  CompletionStage<Done> delete(String name);
}
