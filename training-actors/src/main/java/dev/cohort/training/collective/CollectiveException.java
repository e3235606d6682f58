package dev.cohort.training.collective;

import dev.cohort.persistence.ErrorKind;
import dev.cohort.training.TrainingException;

/**
 * A collective or a communicator set-up failed. After one, the communicator is aborted: every
 * pending and later operation on it fails with the same cause, and the job must form a new
 * communicator (a new generation) to continue.
 *
 * <p>Codes: {@code collective_timeout} (a rank did not take part within the collective timeout),
 * {@code peer_failed} (a connection to a neighbour broke), {@code communicator_closed} (closed or
 * aborted locally), {@code rendezvous_failed} (peers could not be reached or answered wrongly),
 * {@code nccl_error} and {@code cuda_error} (the native library reported an error), {@code
 * backend_unavailable} (the requested backend cannot run here), {@code invalid_buffer} (a buffer of
 * the wrong size or alignment).
 */
public class CollectiveException extends TrainingException {

  public CollectiveException(ErrorKind kind, String code, String message) {
    super(kind, code, message);
  }

  public CollectiveException(ErrorKind kind, String code, String message, Throwable cause) {
    super(kind, code, message, cause);
  }

  static CollectiveException invalidBuffer(String message) {
    return new CollectiveException(ErrorKind.INVALID, "invalid_buffer", message);
  }
}
